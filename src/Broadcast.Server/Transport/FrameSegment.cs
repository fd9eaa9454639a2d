namespace Broadcast.Server.Transport;

/// <summary>
/// A block of queue slots, linked into a connection's <see cref="OutboundQueue"/> while it holds frames and
/// kept in a shared pool otherwise, so that queues grow and shrink without allocating.
/// </summary>
internal sealed class FrameSegment
{
    public const int Size = 64;

    /// <summary>Segments kept for reuse; beyond this (a burst that has passed) they are left to the GC.</summary>
    private const int MaxPooled = 4096;

    private static readonly Lock PoolLock = new();
    private static readonly Stack<FrameSegment> Pool = new();

    public OutboundFrame[] Slots { get; } = new OutboundFrame[Size];

    public FrameSegment? Next { get; set; }

    public static FrameSegment Rent()
    {
        lock (PoolLock)
        {
            if (Pool.TryPop(out var segment))
            {
                return segment;
            }
        }

        return new FrameSegment();
    }

    /// <summary>Returns a segment; its slots must be cleared first (by the taker, or <paramref name="clear"/>), so no payload is kept alive.</summary>
    public static void Return(FrameSegment segment, bool clear)
    {
        segment.Next = null;
        if (clear)
        {
            Array.Clear(segment.Slots);
        }

        lock (PoolLock)
        {
            if (Pool.Count < MaxPooled)
            {
                Pool.Push(segment);
            }
        }
    }
}
