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

        request = Parse(Encoding.Latin1.GetString(head), reader.Consumed, path.Length);
        return request is null ? UpgradeHeadDecision.NotOurs : UpgradeHeadDecision.Upgrade;
    }

    /// <summary>Parses a request head; null for anything but a plain, well-formed <c>GET</c> of the path without a body.</summary>
    /// <remarks>Walks the head as spans: only the target, each header's name and value become strings.</remarks>
    private static UpgradeRequest? Parse(string head, long length, int pathLength)
    {
        var rest = head.AsSpan();
        var requestLine = NextLine(ref rest);
        var firstSpace = requestLine.IndexOf(' ');
        var lastSpace = requestLine.LastIndexOf(' ');
        if (firstSpace <= 0 || lastSpace == firstSpace || !requestLine[(lastSpace + 1)..].SequenceEqual("HTTP/1.1")
            || requestLine[(firstSpace + 1)..lastSpace].Contains(' '))
        {
            return null;
        }

        var target = requestLine[(firstSpace + 1)..lastSpace];
        if (target.Length > pathLength && target[pathLength] != '?')
        {
            // Another path that merely starts with this one.
            return null;
        }

        // An upgrade carries about ten headers: room for them without growing.
        var headers = new Dictionary<string, StringValues>(16, StringComparer.OrdinalIgnoreCase);
        while (!rest.IsEmpty)
        {
            var line = NextLine(ref rest);
            var colon = line.IndexOf(':');
            if (colon <= 0 || line[0] is ' ' or '\t' || !IsToken(line[..colon]) || HasControl(line))
            {
                // Folded, unnamed or malformed: Kestrel answers it (400).
                return null;
            }

            var name = line[..colon].ToString();
            var value = line[(colon + 1)..].Trim(" \t").ToString();
            headers[name] = headers.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        if (!headers.TryGetValue("Host", out var host) || host.Count != 1
            || headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding"))
        {
            return null;
        }

        var request = new UpgradeRequest(target.ToString(), headers, length);
        return request.IsWebSocketUpgrade ? request : null;
    }

    /// <summary>The line at the start of <paramref name="rest"/> (without its CRLF); <paramref name="rest"/> moves past it.</summary>
    private static ReadOnlySpan<char> NextLine(ref ReadOnlySpan<char> rest)
    {
        var end = rest.IndexOf("\r\n");
        ReadOnlySpan<char> line;
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

    private static bool HasControl(ReadOnlySpan<char> line)
    {
        foreach (var c in line)
        {
            if (c != '\t' && char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (c <= ' ' || c >= 0x7F || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
