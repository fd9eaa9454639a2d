using System.IO.Compression;

namespace Broadcast.Server.Transport.Compression;

/// <summary>
/// Compresses one message as permessage-deflate sends it without context takeover (RFC 7692 section 7.2.1):
/// raw DEFLATE of the whole message, ended with a sync flush whose empty stored block (00 00 ff ff) is
/// removed. Every message starts from an empty window, so the bytes are the same for every recipient.
/// </summary>
internal static class MessageDeflater
{
    private static ReadOnlySpan<byte> SyncFlushTail => [0x00, 0x00, 0xFF, 0xFF];

    /// <summary>The compressed payload, or an empty array when it would not be shorter than <paramref name="message"/>.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> message, CompressionLevel level)
    {
        using var output = new MemoryStream(Math.Max(64, message.Length / 2));
        using (var deflate = new DeflateStream(output, level, leaveOpen: true))
        {
            deflate.Write(message);

            // A sync flush (not the end of the stream): the block ends on a byte boundary with 00 00 ff ff,
            // and no final block follows. What disposing adds afterwards is not read.
            deflate.Flush();
            var written = output.GetBuffer().AsSpan(0, (int)output.Length);
            if (!written.EndsWith(SyncFlushTail) || written.Length - SyncFlushTail.Length >= message.Length)
            {
                return [];
            }

            return written[..^SyncFlushTail.Length].ToArray();
        }
    }
}
