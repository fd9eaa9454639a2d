using System.IO.Compression;
using Broadcast.Server.Transport.Compression;

namespace Broadcast.Server.Transport;

/// <summary>
/// How a connection that negotiated permessage-deflate wants its publications: frames of at least
/// <see cref="MinBytes"/> compressed by <see cref="Compress"/>, once per publication and encoding (the caller
/// caches the result beside the encoded frame and shares it with every compressing recipient).
/// </summary>
public sealed class FrameCompression
{
    public FrameCompression(int minBytes, CompressionLevel level)
    {
        MinBytes = minBytes;
        // One delegate for the server's life: handing it to a publication's cache allocates nothing.
        Compress = frame => MessageDeflater.Compress(frame, level);
    }

    /// <summary>Shorter frames go uncompressed.</summary>
    public int MinBytes { get; }

    /// <summary>The frame's payload as one compressed message (RFC 7692 section 7.2.1), or empty when compressing would not make it shorter.</summary>
    public Func<byte[], byte[]> Compress { get; }
}
