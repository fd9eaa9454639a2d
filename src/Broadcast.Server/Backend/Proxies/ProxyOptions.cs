using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>What every proxy shares: the <c>Broadcast:Proxy</c> section (each proxy's own settings are in its subsection).</summary>
public sealed class ProxyOptions
{
    public const string Section = "Broadcast:Proxy";

    /// <summary>
    /// Comma-separated headers of a client's upgrade request sent on to the backend with every proxy call
    /// (a session cookie, the client's own bearer token, the address a reverse proxy saw). Kept for the life of the
    /// connection when a proxy other than connect is on, so list only what the backend needs.
    /// </summary>
    [RegularExpression(@"^[A-Za-z0-9!#$%&'*+.^_~, -]*$", ErrorMessage = "Broadcast:Proxy:ForwardHeaders must be comma-separated HTTP header names.")]
    public string ForwardHeaders { get; set; } = "Cookie, Authorization, Origin, User-Agent, X-Forwarded-For, X-Real-IP";

    /// <summary>The header names, parsed.</summary>
    public IReadOnlyList<string> ForwardedHeaderNames() =>
        [.. ForwardHeaders.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.OrdinalIgnoreCase)];
}
