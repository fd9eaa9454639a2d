namespace Broadcast.Server.Transport.HttpStreaming;

/// <summary>
/// HTTP streaming's framing: each frame is one line of newline-delimited JSON (the frames are compact JSON,
/// which never holds a raw newline), so a browser splits the response on <c>\n</c> as it arrives.
/// </summary>
internal struct NdjsonFrameBatch(byte[] buffer) : IFrameBatch
{
    public byte[] Buffer { get; private set; } = buffer;

    public int Length { get; private set; }

    private BatchTally _tally;

    /// <summary>Publications in the batch (replies and notices are not counted as deliveries).</summary>
    public readonly int Publications => _tally.Publications;

    /// <summary>When the oldest live publication in the batch was accepted: one latency sample per write.</summary>
    public readonly long OldestLiveTicks => _tally.OldestLiveTicks;

    public void Add(in OutboundFrame frame)
    {
        _tally.Count(frame);

        Buffer = BatchBuffer.WithRoom(Buffer, Length, Length + frame.Bytes.Length + 1);

        frame.Bytes.Span.CopyTo(Buffer.AsSpan(Length));
        Length += frame.Bytes.Length;
        Buffer[Length++] = (byte)'\n';
    }
}
