using System.Net;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Cross-site WebSocket hijacking defence: a browser always sends Origin, and a page on another site must
/// not open a socket that rides on this user's cookies or network position (OWASP). Refused with 403
/// before the upgrade.
/// </summary>
internal sealed partial class OriginPolicy
{
    private readonly HashSet<string> _allowed;
    private readonly bool _allowAll;
    private readonly HashSet<string> _hosts;
    private readonly string[] _hostSuffixes;

    public OriginPolicy(IOptions<LimitsOptions> options)
    {
        var configured = options.Value.AllowedOrigins;
        _allowAll = configured.Contains("*");
        _allowed = new HashSet<string>(configured.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
        var hosts = options.Value.AllowedHosts;
        _hosts = new HashSet<string>(hosts.Where(h => !h.StartsWith("*.", StringComparison.Ordinal)), StringComparer.OrdinalIgnoreCase);
        _hostSuffixes = [.. hosts.Where(h => h.StartsWith("*.", StringComparison.Ordinal)).Select(h => h[1..])];
    }

    /// <summary>True for a valid <see cref="LimitsOptions.AllowedHosts"/> entry: a DNS name, optionally <c>*.</c> and a name.</summary>
    public static bool IsHostPattern(string entry) => HostPattern().IsMatch(entry);

    /// <summary>
    /// DNS-rebinding defence: with <see cref="LimitsOptions.AllowedHosts"/> set and origins restricted, a
    /// browser may reach the server only by a listed name (or localhost, or an IP address, which no
    /// attacker can point elsewhere). A request without Origin is not from a browser, so it cannot be a
    /// rebound page, and is not checked.
    /// </summary>
    public bool IsHostAllowed(HttpRequest request)
    {
        if (_allowAll || (_hosts.Count == 0 && _hostSuffixes.Length == 0) || request.Headers.Origin.Count == 0)
        {
            return true;
        }

        var host = request.Host.Host.TrimEnd('.');
        if (IsLoopback(host) || IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            return true;
        }

        return _hosts.Contains(host) || _hostSuffixes.Any(suffix => host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
    }

    public bool AllowsAll => _allowAll;

    public bool IsAllowed(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || _allowAll)
        {
            // No Origin: not a browser (authentication, when required, still applies).
            return true;
        }

        if (_allowed.Count > 0)
        {
            return _allowed.Contains(origin.TrimEnd('/'));
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri))
        {
            return false;
        }

        // The server's own origin: same host and port as the request was sent to.
        if (string.Equals(originUri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Local development (a Vite dev server on another port, a page opened from localhost): only when
        // the server itself is being reached on a loopback address, never for a public host.
        return IsLoopback(originUri.Host) && IsLoopback(request.Host.Host);
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial System.Text.RegularExpressions.Regex HostPattern();
}
