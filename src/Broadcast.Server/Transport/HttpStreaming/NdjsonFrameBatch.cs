using System.Buffers;

namespace Broadcast.Server.Transport.HttpStreaming;

/// <summary>
/// HTTP streaming's framing: each frame is one line of newline-delimited JSON (the frames are compact JSON,
/// which never holds a raw newline), so a browser splits the response on <c>\n</c> as it arrives.
/// </summary>
internal struct NdjsonFrameBatch(byte[] buffer) : IFrameBatch
{
    public byte[] Buffer { get; private set; } = buffer;

    public int Length { get; private set; }

    /// <summary>Publications in the batch (replies and notices are not counted as deliveries).</summary>
    public int Publications { get; private set; }

    /// <summary>When the oldest live publication in the batch was accepted: one latency sample per write.</summary>
    public long OldestLiveTicks { get; private set; }

    public void Add(in OutboundFrame frame)
    {
        if (frame.PublishedUtcTicks != 0)
        {
            Publications++;
            if (frame.Kind == OutboundFrameKind.Live && OldestLiveTicks == 0)
            {
                OldestLiveTicks = frame.PublishedUtcTicks;
            }
        }

        var needed = Length + frame.Bytes.Length + 1;
        if (needed > Buffer.Length)
        {
            // A frame larger than the batch: grow the buffer just for this batch.
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Buffer.Length * 2));
            Buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = larger;
        }

        frame.Bytes.Span.CopyTo(Buffer.AsSpan(Length));
        Length += frame.Bytes.Length;
        Buffer[Length++] = (byte)'\n';
    }
}
