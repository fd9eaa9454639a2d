using System.IO.Compression;

namespace Broadcast.Testing;

/// <summary>
/// A test client's side of permessage-deflate without context takeover (RFC 7692 section 7.2): what a
/// compressing peer sends (raw DEFLATE, sync-flushed, the trailing 00 00 ff ff removed) and how it reads
/// what it receives (the tail appended again).
/// </summary>
public static class ClientDeflate
{
    private static readonly byte[] Tail = [0x00, 0x00, 0xFF, 0xFF];

    public static byte[] Compress(byte[] message)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(message);
            deflate.Flush();
        }

        // Disposing added a final empty block after the sync flush's tail: cut both.
        var bytes = output.ToArray();
        var end = bytes.AsSpan().LastIndexOf(Tail);
        return bytes[..end];
    }

    public static byte[] Inflate(byte[] compressed)
    {
        using var input = new MemoryStream([.. compressed, .. Tail]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }
}
