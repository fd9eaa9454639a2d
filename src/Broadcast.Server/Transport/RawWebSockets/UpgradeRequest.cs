using Microsoft.Extensions.Primitives;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>A WebSocket upgrade request read off the connection: <c>GET target HTTP/1.1</c> and its headers.</summary>
/// <param name="RawTarget">The request target exactly as sent (path and query).</param>
/// <param name="Headers">The headers, by name (case-insensitive); repeated ones keep every value.</param>
/// <param name="Length">Bytes of the request, up to and including the blank line.</param>
internal sealed record UpgradeRequest(string RawTarget, Dictionary<string, StringValues> Headers, long Length)
{
    public string Path => RawTarget.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? RawTarget[..q] : RawTarget;

    public string Query => RawTarget.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? RawTarget[q..] : "";

    public string Header(string name) => Headers.TryGetValue(name, out var values) ? values.ToString() : "";

    /// <summary>What ASP.NET Core's <c>IsWebSocketRequest</c> checks (RFC 6455 section 4.2.1): otherwise Kestrel's path answers it.</summary>
    public bool IsWebSocketUpgrade =>
        HasToken("Connection", "upgrade")
        && string.Equals(Header("Upgrade"), "websocket", StringComparison.OrdinalIgnoreCase)
        && Header("Sec-WebSocket-Version") == "13"
        && IsValidKey(Header("Sec-WebSocket-Key"));

    /// <summary>The subprotocols the client offered, in its order.</summary>
    public IList<string> Subprotocols =>
        [.. Headers.TryGetValue("Sec-WebSocket-Protocol", out var values)
            ? values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            : []];

    /// <summary>Whether a comma-separated list in any value of the header has the token (each checked in place: no strings split off).</summary>
    private bool HasToken(string name, string token)
    {
        if (!Headers.TryGetValue(name, out var values))
        {
            return false;
        }

        foreach (var value in values)
        {
            var list = (value ?? "").AsSpan();
            foreach (var item in list.Split(','))
            {
                if (list[item].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }
}
