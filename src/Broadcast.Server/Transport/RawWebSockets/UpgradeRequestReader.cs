using System.Buffers;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>
/// Reads the first request of a connection (peeked, not consumed) far enough to tell whether it is a clean
/// WebSocket upgrade of one path. Anything else (another path or method, HTTP/2, TLS, a body, a malformed or
/// oversized head) is left unread for Kestrel's HTTP pipeline, which answers it exactly as without this reader.
/// </summary>
internal static class UpgradeRequestReader
{
    /// <summary>Kestrel's default limit of request headers (<c>MaxRequestHeadersTotalSize</c>): past it Kestrel answers 431.</summary>
    public const int MaxHeadBytes = 32 * 1024;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>Header names clients send with an upgrade, spelled as they usually are: one string each for every connection.</summary>
    private static readonly string[] KnownNames =
    [
        "Host", "Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions", "Origin", "User-Agent", "Authorization", "Cookie", "Accept-Encoding",
        "Accept-Language", "Cache-Control", "Pragma",
    ];

    /// <summary>Header values every upgrade repeats.</summary>
    private static readonly string[] KnownValues = ["Upgrade", "upgrade", "websocket", "13", "no-cache", "permessage-deflate; client_max_window_bits"];

    /// <summary>
    /// What the bytes received so far (<paramref name="buffer"/>, from the connection's first byte) are: an
    /// upgrade of <paramref name="path"/> (<paramref name="request"/>, its <see cref="UpgradeRequest.Length"/>
    /// the bytes to consume once it is answered), not ours (hand the bytes to Kestrel untouched), or not
    /// enough yet to tell.
    /// </summary>
    public static UpgradeHeadDecision Inspect(in ReadOnlySequence<byte> buffer, string path, out UpgradeRequest? request)
    {
        request = null;
        Span<byte> prefix = stackalloc byte[4 + path.Length];
        "GET "u8.CopyTo(prefix);
        Encoding.ASCII.GetBytes(path, prefix[4..]);
        var start = (int)Math.Min(buffer.Length, prefix.Length);
        Span<byte> first = stackalloc byte[prefix.Length];
        buffer.Slice(0, start).CopyTo(first);
        if (!first[..start].SequenceEqual(prefix[..start]))
        {
            return UpgradeHeadDecision.NotOurs;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, EndOfHead))
        {
            return buffer.Length > MaxHeadBytes ? UpgradeHeadDecision.NotOurs : UpgradeHeadDecision.NeedMore;
        }

        if (head.Length > MaxHeadBytes)
        {
            return UpgradeHeadDecision.NotOurs;
        }

        // The head as bytes (a peek is one array): no string of the whole head, only of what is kept.
        request = Parse(head.IsSingleSegment ? head.FirstSpan : head.ToArray(), reader.Consumed, path.Length);
        return request is null ? UpgradeHeadDecision.NotOurs : UpgradeHeadDecision.Upgrade;
    }

    /// <summary>Parses a request head; null for anything but a plain, well-formed <c>GET</c> of the path without a body.</summary>
    /// <remarks>
    /// Walks the head's bytes (Latin-1, as Kestrel reads it): only the target, each header's name and value
    /// become strings, and the usual names and values of an upgrade are the same strings every time.
    /// </remarks>
    private static UpgradeRequest? Parse(ReadOnlySpan<byte> head, long length, int pathLength)
    {
        var rest = head;
        var requestLine = NextLine(ref rest);
        var firstSpace = requestLine.IndexOf((byte)' ');
        var lastSpace = requestLine.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace == firstSpace || !requestLine[(lastSpace + 1)..].SequenceEqual("HTTP/1.1"u8)
            || requestLine[(firstSpace + 1)..lastSpace].Contains((byte)' '))
        {
            return null;
        }

        var target = requestLine[(firstSpace + 1)..lastSpace];
        if (target.Length > pathLength && target[pathLength] != (byte)'?')
        {
            // Another path that merely starts with this one.
            return null;
        }

        // Room for exactly the header lines there are (a load tool sends 5, a browser about 12): neither grown nor oversized.
        var headers = new Dictionary<string, StringValues>(rest.Count("\r\n"u8) + 1, StringComparer.OrdinalIgnoreCase);
        while (!rest.IsEmpty)
        {
            var line = NextLine(ref rest);
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[0] is (byte)' ' or (byte)'\t' || !IsToken(line[..colon]) || HasControl(line))
            {
                // Folded, unnamed or malformed: Kestrel answers it (400).
                return null;
            }

            var name = Text(line[..colon], KnownNames);
            var value = Text(line[(colon + 1)..].Trim(" \t"u8), KnownValues);
            headers[name] = headers.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        if (!headers.TryGetValue("Host", out var host) || host.Count != 1
            || headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding"))
        {
            return null;
        }

        var request = new UpgradeRequest(Encoding.Latin1.GetString(target), headers, length);
        return request.IsWebSocketUpgrade ? request : null;
    }

    /// <summary>The Latin-1 text of <paramref name="bytes"/>: the known string when it is exactly one of <paramref name="known"/>.</summary>
    private static string Text(ReadOnlySpan<byte> bytes, string[] known)
    {
        foreach (var candidate in known)
        {
            if (candidate.Length == bytes.Length && Ascii.Equals(bytes, candidate))
            {
                return candidate;
            }
        }

        return Encoding.Latin1.GetString(bytes);
    }

    /// <summary>The line at the start of <paramref name="rest"/> (without its CRLF); <paramref name="rest"/> moves past it.</summary>
    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> rest)
    {
        var end = rest.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line;
        if (end < 0)
        {
            line = rest;
            rest = default;
        }
        else
        {
            line = rest[..end];
            rest = rest[(end + 2)..];
        }

        return line;
    }

    /// <summary>A control character other than tab (what <see cref="char.IsControl(char)"/> says of the Latin-1 character).</summary>
    private static bool HasControl(ReadOnlySpan<byte> line)
    {
        foreach (var c in line)
        {
            if (c != (byte)'\t' && (c < 0x20 || c is >= 0x7F and <= 0x9F))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var c in name)
        {
            if (c <= (byte)' ' || c >= 0x7F || "()<>@,;:\\\"/[]?={}"u8.Contains(c))
            {
                return false;
            }
        }

        return true;
    }
}
