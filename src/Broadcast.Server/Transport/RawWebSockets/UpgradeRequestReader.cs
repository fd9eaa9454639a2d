using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>
/// Reads the first request of a connection far enough to tell whether it is a clean WebSocket upgrade of
/// one path. Anything else (another path or method, HTTP/2, TLS, a body, a malformed or oversized head)
/// is left unread in the pipe for Kestrel's HTTP pipeline, which answers it exactly as without this reader.
/// </summary>
internal static class UpgradeRequestReader
{
    /// <summary>Kestrel's default limit of request headers (<c>MaxRequestHeadersTotalSize</c>): past it Kestrel answers 431.</summary>
    public const int MaxHeadBytes = 32 * 1024;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// The upgrade request for <paramref name="path"/>, or null to hand the connection to Kestrel. Either
    /// way nothing is consumed: the caller advances past <see cref="UpgradeRequest.Length"/> once it answers.
    /// Throws <see cref="OperationCanceledException"/> when <paramref name="cancel"/> fires first (the handshake timeout).
    /// </summary>
    public static async Task<UpgradeRequest?> ReadAsync(PipeReader input, string path, CancellationToken cancel)
    {
        var prefix = Encoding.ASCII.GetBytes("GET " + path);
        while (true)
        {
            var read = await input.ReadAsync(cancel).ConfigureAwait(false);
            var buffer = read.Buffer;
            var decision = Inspect(buffer, prefix, out var request);
            if (decision == Decision.NeedMore && !read.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            // Nothing consumed or examined: the next read (ours or Kestrel's) sees every byte at once.
            input.AdvanceTo(buffer.Start);
            return decision == Decision.Upgrade ? request : null;
        }
    }

    private enum Decision
    {
        NeedMore,
        NotOurs,
        Upgrade,
    }

    private static Decision Inspect(in ReadOnlySequence<byte> buffer, byte[] prefix, out UpgradeRequest? request)
    {
        request = null;
        var reader = new SequenceReader<byte>(buffer);
        var start = buffer.Length < prefix.Length ? buffer.Length : prefix.Length;
        Span<byte> first = stackalloc byte[prefix.Length];
        buffer.Slice(0, start).CopyTo(first);
        if (!first[..(int)start].SequenceEqual(prefix.AsSpan(0, (int)start)))
        {
            return Decision.NotOurs;
        }

        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, EndOfHead))
        {
            return buffer.Length > MaxHeadBytes ? Decision.NotOurs : Decision.NeedMore;
        }

        if (head.Length > MaxHeadBytes)
        {
            return Decision.NotOurs;
        }

        request = Parse(Encoding.Latin1.GetString(head), reader.Consumed, prefix.Length - 4);
        return request is null ? Decision.NotOurs : Decision.Upgrade;
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
