using System.Net;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Cross-site WebSocket hijacking defence: a browser always sends Origin, and a page on another site must
/// not open a socket that rides on this user's cookies or network position (OWASP). Refused with 403
/// before the upgrade.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed;
    private readonly bool _allowAll;

    public OriginPolicy(IOptions<Configuration.BroadcastOptions> options)
    {
        var configured = options.Value.Limits.AllowedOrigins;
        _allowAll = configured.Contains("*");
        _allowed = new HashSet<string>(configured.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
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
}
