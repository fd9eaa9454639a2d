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
    private static UpgradeRequest? Parse(string head, long length, int pathLength)
    {
        var lines = head.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[2] != "HTTP/1.1")
        {
            return null;
        }

        var target = requestLine[1];
        if (target.Length > pathLength && target[pathLength] != '?')
        {
            // Another path that merely starts with this one.
            return null;
        }

        var headers = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] is ' ' or '\t' || !IsToken(line.AsSpan(0, colon)) || line.Any(c => c != '\t' && char.IsControl(c)))
            {
                // Folded, unnamed or malformed: Kestrel answers it (400).
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            headers[name] = headers.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        if (!headers.TryGetValue("Host", out var host) || host.Count != 1
            || headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding"))
        {
            return null;
        }

        var request = new UpgradeRequest(target, headers, length);
        return request.IsWebSocketUpgrade ? request : null;
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
