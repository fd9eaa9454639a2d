using Broadcast.Server.Channels;

namespace Broadcast.Server.Connections;

/// <summary>
/// One connection's frames waiting to be written, in order. Many threads add (every publication's fan-out,
/// replies); one flush at a time takes. A single short lock guards it: adding is a few stores, and taking
/// moves a whole batch at once, so the lock is held once per flush rather than once per frame.
/// </summary>
/// <remarks>
/// Only live publications count toward <see cref="Capacity"/>: a replay is bounded by the history and a
/// control frame by the request that caused it. When a live frame would pass the bound, its channel's
/// <see cref="SlowConsumerPolicy"/> decides: refuse it (the caller then disconnects the client), or remove
/// older frames of the same channel in place (they become <see cref="OutboundFrameKind.Dropped"/> and are
/// skipped), counting what was lost so the client can be told.
/// </remarks>
internal sealed class OutboundQueue(int capacity)
{
    private readonly Lock _lock = new();

    // Frames live in fixed-size segments borrowed from a shared pool: an idle connection holds none, a
    // burst borrows as many as it needs, and steady traffic reuses the same few, so queuing never allocates.
    private FrameSegment? _head;
    private FrameSegment? _tail;
    private int _headIndex;
    private int _tailIndex;
    private int _count;
    private int _live;
    private bool _completed;
    private List<(Subscription Source, int Count)>? _drops;

    public int Capacity { get; } = capacity;

    /// <summary>Live frames waiting (read without the lock: a gauge, not a decision).</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>What a flush finds, read under one lock: nothing to do, work waiting, or the end reached.</summary>
    public QueueState State
    {
        get
        {
            lock (_lock)
            {
                if (_count > 0 || _drops is not null)
                {
                    return QueueState.Pending;
                }

                return _completed ? QueueState.Finished : QueueState.Empty;
            }
        }
    }

    /// <summary>
    /// Adds a frame. Returns <see cref="AddResult.Overflow"/> when a live frame of a channel whose policy is
    /// <see cref="SlowConsumerPolicy.Disconnect"/> finds the queue full (nothing is added then).
    /// </summary>
    /// <param name="dropped">Frames this call removed or refused under a drop policy.</param>
    public AddResult TryAdd(in OutboundFrame frame, out int dropped)
    {
        dropped = 0;
        lock (_lock)
        {
            if (_completed)
            {
                return AddResult.Closed;
            }

            if (frame.Kind != OutboundFrameKind.Live)
            {
                Append(frame);
                return AddResult.Queued;
            }

            if (frame.Source is { IsEnded: true })
            {
                // Unsubscribed meanwhile: read under this lock, so the publication either precedes the
                // `unsubscribed` reply in the queue or is not queued at all.
                return AddResult.Closed;
            }

            if (_live < Capacity)
            {
                Append(frame);
                _live++;
                return AddResult.Queued;
            }

            var policy = frame.Source?.SlowConsumerPolicy ?? SlowConsumerPolicy.Disconnect;
            if (policy == SlowConsumerPolicy.Disconnect)
            {
                return AddResult.Overflow;
            }

            dropped = policy == SlowConsumerPolicy.KeepLatest
                ? DropAllOf(frame.Source!)
                : DropOldestOf(frame.Source!);
            if (dropped == 0)
            {
                // The queue is full of other channels' frames: make room from any channel that tolerates
                // drops, or else lose this frame rather than the connection.
                dropped = DropOldestDroppable();
            }

            if (dropped == 0)
            {
                RecordDrop(frame.Source!);
                dropped = 1;
                return AddResult.Dropped;
            }

            Append(frame);
            _live++;
            return AddResult.Queued;
        }
    }

    /// <summary>
    /// Moves frames into <paramref name="batch"/> until it holds about <paramref name="maxBytes"/>, after a
    /// notice for every channel that lost frames since the last take.
    /// </summary>
    public void TakeInto(ref FrameBatch batch, int maxBytes)
    {
        List<(Subscription Source, int Count)>? drops;
        lock (_lock)
        {
            // Notices go first: "you lost N of this channel's publications before the ones that follow".
            (drops, _drops) = (_drops, null);
            if (drops is not null)
            {
                foreach (var (source, count) in drops)
                {
                    batch.Add(new OutboundFrame(source.DropNotice(count), OutboundFrameKind.Control));
                }
            }

            while (_count > 0 && batch.Length < maxBytes)
            {
                ref var slot = ref _head!.Slots[_headIndex];
                var frame = slot;
                slot = default;
                _count--;
                if (++_headIndex == FrameSegment.Size || _count == 0)
                {
                    ReleaseHead();
                }

                if (frame.Kind == OutboundFrameKind.Live)
                {
                    _live--;
                }

                if (frame.Kind != OutboundFrameKind.Dropped)
                {
                    batch.Add(frame);
                }
            }
        }
    }

    /// <summary>
    /// No more frames will be accepted. With <paramref name="discardPending"/> the frames still waiting are
    /// thrown away (the client is being cut off); otherwise they are still written before the close.
    /// </summary>
    /// <returns>The live frames discarded.</returns>
    public int Complete(bool discardPending)
    {
        lock (_lock)
        {
            _completed = true;
            if (!discardPending)
            {
                return 0;
            }

            var discarded = _live;
            while (_head is not null)
            {
                ReleaseHead(clear: true);
            }

            _count = 0;
            _live = 0;
            _drops = null;
            return discarded;
        }
    }

    private void Append(in OutboundFrame frame)
    {
        if (_tail is null)
        {
            _head = _tail = FrameSegment.Rent();
            _headIndex = _tailIndex = 0;
        }
        else if (_tailIndex == FrameSegment.Size)
        {
            var next = FrameSegment.Rent();
            _tail.Next = next;
            _tail = next;
            _tailIndex = 0;
        }

        _tail.Slots[_tailIndex++] = frame;
        _count++;
    }

    /// <summary>Gives the head segment back to the pool (its slots already cleared by the taker, unless <paramref name="clear"/>).</summary>
    private void ReleaseHead(bool clear = false)
    {
        var segment = _head!;
        _head = segment.Next;
        _headIndex = 0;
        if (_head is null)
        {
            _tail = null;
            _tailIndex = 0;
        }

        FrameSegment.Return(segment, clear);
    }

    /// <summary>Every queued slot, oldest first, by reference (so a drop policy can mark one in place).</summary>
    private IEnumerable<(FrameSegment Segment, int Index)> Slots()
    {
        var index = _headIndex;
        var remaining = _count;
        for (var segment = _head; segment is not null && remaining > 0; segment = segment.Next, index = 0)
        {
            for (; index < FrameSegment.Size && remaining > 0; index++, remaining--)
            {
                yield return (segment, index);
            }
        }
    }

    // The drop searches run only when a queue is full on a channel that drops (never on the hot path).
    private int DropOldestOf(Subscription source)
    {
        foreach (var (segment, index) in Slots())
        {
            ref var slot = ref segment.Slots[index];
            if (slot.Kind == OutboundFrameKind.Live && ReferenceEquals(slot.Source, source))
            {
                Drop(ref slot);
                return 1;
            }
        }

        return 0;
    }

    private int DropAllOf(Subscription source)
    {
        var dropped = 0;
        foreach (var (segment, index) in Slots())
        {
            ref var slot = ref segment.Slots[index];
            if (slot.Kind == OutboundFrameKind.Live && ReferenceEquals(slot.Source, source))
            {
                Drop(ref slot);
                dropped++;
            }
        }

        return dropped;
    }

    private int DropOldestDroppable()
    {
        foreach (var (segment, index) in Slots())
        {
            ref var slot = ref segment.Slots[index];
            if (slot.Kind == OutboundFrameKind.Live && slot.Source is { SlowConsumerPolicy: not SlowConsumerPolicy.Disconnect })
            {
                Drop(ref slot);
                return 1;
            }
        }

        return 0;
    }

    private void Drop(ref OutboundFrame slot)
    {
        RecordDrop(slot.Source!);
        slot = new OutboundFrame(default, OutboundFrameKind.Dropped);
        _live--;
    }

    private void RecordDrop(Subscription source)
    {
        _drops ??= [];
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_drops);
        for (var i = 0; i < span.Length; i++)
        {
            if (ReferenceEquals(span[i].Source, source))
            {
                span[i].Count++;
                return;
            }
        }

        _drops.Add((source, 1));
    }

    public enum QueueState
    {
        /// <summary>Nothing to write.</summary>
        Empty,

        /// <summary>Frames or drop notices wait to be written (the close comes after them, if one was asked for).</summary>
        Pending,

        /// <summary><see cref="Complete"/> was called and everything before it was taken: the close may follow.</summary>
        Finished,
    }

    public enum AddResult
    {
        Queued,
        Dropped,
        Overflow,
        Closed,
    }
}
