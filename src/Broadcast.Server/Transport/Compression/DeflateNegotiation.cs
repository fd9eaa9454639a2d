namespace Broadcast.Server.Transport.Compression;

/// <summary>
/// The server's side of permessage-deflate's negotiation (RFC 7692 sections 5 and 7.1): takes the client's
/// offers (<c>Sec-WebSocket-Extensions</c>, in its order of preference) and answers the first one it can
/// honour. The server always answers with <c>server_no_context_takeover</c> (every message it sends starts
/// from an empty window, which is what lets one publication's compressed bytes go to every recipient) and
/// <c>client_no_context_takeover</c> (which a server may always ask for, section 7.1.1.2: so no inflate window
/// stays alive between a client's messages).
/// </summary>
internal static class DeflateNegotiation
{
    public const string ExtensionName = "permessage-deflate";

    private const string Accepted = ExtensionName + "; server_no_context_takeover; client_no_context_takeover";

    /// <summary>The response's <c>Sec-WebSocket-Extensions</c> value, or null when no offer is acceptable (the connection is then uncompressed).</summary>
    public static string? Negotiate(IEnumerable<string?> headerValues)
    {
        foreach (var value in headerValues)
        {
            foreach (var offer in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (Answer(offer) is { } answer)
                {
                    return answer;
                }
            }
        }

        return null;
    }

    /// <summary>The answer to one offer, or null when it is another extension, invalid, or asks what this server cannot do.</summary>
    private static string? Answer(string offer)
    {
        var parts = offer.Split(';', StringSplitOptions.TrimEntries);
        if (!string.Equals(parts[0], ExtensionName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var serverWindowBits = false;
        foreach (var part in parts.AsSpan(1))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = (equals < 0 ? part : part[..equals]).Trim();
            var value = equals < 0 ? null : Unquote(part[(equals + 1)..].Trim());

            // A parameter given twice makes the offer invalid (section 7): decline it.
            if (!seen.Add(name))
            {
                return null;
            }

            switch (name.ToLowerInvariant())
            {
                case "server_no_context_takeover" or "client_no_context_takeover" when value is null:
                    // The answer has both anyway.
                    break;
                case "client_max_window_bits" when value is null || IsWindowBits(value):
                    // The client can limit its window: not needed, this server inflates with the largest one
                    // (15 bits), so the answer leaves it out and the client may use any window it likes.
                    break;
                case "server_max_window_bits" when value is not null && IsWindowBits(value):
                    // The runtime's deflate always uses a 32 KiB window: an offer asking for a smaller one cannot be honoured.
                    if (value != "15")
                    {
                        return null;
                    }

                    serverWindowBits = true;
                    break;
                default:
                    // Unknown parameter, or a value where none belongs (or none where one must be): invalid offer.
                    return null;
            }
        }

        return serverWindowBits ? Accepted + "; server_max_window_bits=15" : Accepted;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    /// <summary>A decimal integer 8 to 15 without leading zeros (section 7.1.2).</summary>
    private static bool IsWindowBits(string value) =>
        value is "8" or "9" or "10" or "11" or "12" or "13" or "14" or "15";
}
