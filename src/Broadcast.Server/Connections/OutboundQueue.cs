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
    private const int InitialSlots = 8;

    /// <summary>Above this many slots an emptied ring is given back, so one burst does not pin memory forever.</summary>
    private const int RetainedSlots = 256;

    private readonly Lock _lock = new();
    private OutboundFrame[] _slots = new OutboundFrame[InitialSlots];
    private int _head;
    private int _count;
    private int _live;
    private bool _completed;
    private List<(Subscription Source, int Count)>? _drops;

    public int Capacity { get; } = capacity;

    /// <summary>Live frames waiting (read without the lock: a gauge, not a decision).</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>True if a flush has anything to do: frames to write, drop notices to send, or the end to report.</summary>
    public bool NeedsFlush
    {
        get
        {
            lock (_lock)
            {
                return _count > 0 || _drops is not null || _completed;
            }
        }
    }

    /// <summary>True once <see cref="Complete"/> was called and everything before it was taken.</summary>
    public bool IsFinished
    {
        get
        {
            lock (_lock)
            {
                return _completed && _count == 0 && _drops is null;
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
                ref var slot = ref _slots[_head];
                var frame = slot;
                slot = default;
                _head = (_head + 1) & (_slots.Length - 1);
                _count--;
                if (frame.Kind == OutboundFrameKind.Live)
                {
                    _live--;
                }

                if (frame.Kind != OutboundFrameKind.Dropped)
                {
                    batch.Add(frame);
                }
            }

            if (_count == 0)
            {
                _head = 0;
                if (_slots.Length > RetainedSlots)
                {
                    _slots = new OutboundFrame[InitialSlots];
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
            Array.Clear(_slots);
            _head = 0;
            _count = 0;
            _live = 0;
            _drops = null;
            return discarded;
        }
    }

    private void Append(in OutboundFrame frame)
    {
        if (_count == _slots.Length)
        {
            Grow();
        }

        _slots[(_head + _count) & (_slots.Length - 1)] = frame;
        _count++;
    }

    private void Grow()
    {
        // The ring's size stays a power of two so positions wrap with a mask.
        var larger = new OutboundFrame[_slots.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = _slots[(_head + i) & (_slots.Length - 1)];
        }

        _slots = larger;
        _head = 0;
    }

    private int DropOldestOf(Subscription source)
    {
        for (var i = 0; i < _count; i++)
        {
            ref var slot = ref _slots[(_head + i) & (_slots.Length - 1)];
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
        for (var i = 0; i < _count; i++)
        {
            ref var slot = ref _slots[(_head + i) & (_slots.Length - 1)];
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
        for (var i = 0; i < _count; i++)
        {
            ref var slot = ref _slots[(_head + i) & (_slots.Length - 1)];
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

    public enum AddResult
    {
        Queued,
        Dropped,
        Overflow,
        Closed,
    }
}
