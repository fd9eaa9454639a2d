using System.Runtime.CompilerServices;
namespace Broadcast.Server.Transport;

/// <summary>
/// A block of queue slots, linked into a connection's <see cref="OutboundQueue"/> while it holds frames and
/// kept in a shared pool otherwise, so that queues grow and shrink without allocating.
/// </summary>
/// <remarks>
/// A queue's first segment is small: most queues hold a frame or two between flush rounds, and a broadcast to
/// every idle client borrows one segment per client at once, which the pool then keeps. With 64 slots that
/// was 2.5 KB per client kept after a single broadcast (10 MB at 4,096 pooled); with 8 it is about 0.35 KB.
/// Only a queue that really backs up links the large segments behind it.
/// </remarks>
internal sealed class FrameSegment
{
    /// <summary>Slots of a queue's first segment.</summary>
    public const int FirstSize = 8;

    /// <summary>Slots of every later segment.</summary>
    public const int Size = 64;

    /// <summary>First segments kept for reuse: one per client waiting for a broadcast's flush, up to this many.</summary>
    private const int MaxPooledFirst = 16384;

    /// <summary>Large segments kept for reuse; beyond this (a burst that has passed) they are left to the GC.</summary>
    private const int MaxPooled = 4096;

    private static readonly Lock PoolLock = new();
    private static readonly Stack<FrameSegment> FirstPool = new();
    private static readonly Stack<FrameSegment> Pool = new();

    private FrameSegment(int size) => Slots = new OutboundFrame[size];

    public OutboundFrame[] Slots { get; }

    public FrameSegment? Next { get; set; }

    /// <summary>A segment with no frames: a small one to start a queue (<paramref name="first"/>), else a large one.</summary>
    [MethodImpl(HotPath.Compile)]
    public static FrameSegment Rent(bool first)
    {
        var pool = first ? FirstPool : Pool;
        lock (PoolLock)
        {
            if (pool.TryPop(out var segment))
            {
                return segment;
            }
        }

        return new FrameSegment(first ? FirstSize : Size);
    }

    /// <summary>Returns a segment; its slots must be cleared first (by the taker, or <paramref name="clear"/>), so no payload is kept alive.</summary>
    [MethodImpl(HotPath.Compile)]
    public static void Return(FrameSegment segment, bool clear)
    {
        segment.Next = null;
        if (clear)
        {
            Array.Clear(segment.Slots);
        }

        var first = segment.Slots.Length == FirstSize;
        lock (PoolLock)
        {
            var pool = first ? FirstPool : Pool;
            if (pool.Count < (first ? MaxPooledFirst : MaxPooled))
            {
                pool.Push(segment);
            }
        }
    }
}
