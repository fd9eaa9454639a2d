using System.Runtime.CompilerServices;
namespace Broadcast.Server.Transport;

/// <summary>
/// One connection's frames waiting to be written, in order. Many threads add (every publication's fan-out,
/// replies); one flush at a time takes. A single short lock guards it: adding is a few stores, and taking
/// moves a whole batch at once, so the lock is held once per flush rather than once per frame.
/// </summary>
/// <remarks>
/// Two bounds: <see cref="Capacity"/> live publications, and <see cref="ByteCapacity"/> bytes of every
/// frame waiting (publications, replays, replies, errors, notices), so that nothing a client asks for and
/// never reads can make the server hold more. A frame always fits an empty queue, so a single frame larger
/// than the bound still goes out. When a live frame does not fit, its channel's
/// <see cref="SlowConsumerPolicy"/> decides: refuse it (the caller then disconnects the client), or remove
/// older frames in place (they become <see cref="OutboundFrameKind.Dropped"/> and are skipped), counting
/// what was lost so the client can be told. A reply that does not fit is refused (the caller disconnects:
/// replies are never dropped). A replay is never refused: its sender paces it with
/// <see cref="HasReplayRoom"/> and <see cref="AwaitReplayRoom"/>, so it fills at most half the queue.
/// </remarks>
internal sealed class OutboundQueue(int capacity, long byteCapacity)
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
    private long _bytes;
    private bool _completed;
    private List<(IFrameSource Source, int Count)>? _drops;
    private List<IFrameSource>? _replayWaiters;

    public int Capacity { get; } = capacity;

    public long ByteCapacity { get; } = byteCapacity;

    /// <summary>Live frames waiting (read without the lock: a gauge, not a decision).</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>Bytes of every frame waiting (read without the lock: a gauge, not a decision).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>True while a replay may queue more: the queue is at most half full, in frames and in bytes.</summary>
    public bool HasReplayRoom
    {
        get
        {
            lock (_lock)
            {
                return ReplayRoom;
            }
        }
    }

    /// <summary>What a flush finds, read under one lock: nothing to do, work waiting, or the end reached.</summary>
    public QueueState State
    {
        [MethodImpl(HotPath.Compile)]
        get
        {
            lock (_lock)
            {
                if (_count > 0 || _drops is not null || (_replayWaiters is not null && ReplayRoom))
                {
                    return QueueState.Pending;
                }

                return _completed ? QueueState.Finished : QueueState.Empty;
            }
        }
    }

    // An empty queue always has room, so a paused replay can always go on once the writer catches up.
    private bool ReplayRoom => _bytes <= ByteCapacity / 2 && _count <= Capacity / 2;

    /// <summary>
    /// Adds a frame. Returns <see cref="AddResult.Overflow"/> when a live frame of a channel whose policy is
    /// <see cref="SlowConsumerPolicy.Disconnect"/>, or a reply, finds the queue full (nothing is added then).
    /// </summary>
    /// <param name="dropped">Frames this call removed or refused under a drop policy.</param>
    [MethodImpl(HotPath.Compile)]
    public AddResult TryAdd(in OutboundFrame frame, out int dropped)
    {
        dropped = 0;
        lock (_lock)
        {
            if (_completed)
            {
                return AddResult.Closed;
            }

            if (frame.Source is { IsEnded: true })
            {
                // Unsubscribed meanwhile: read under this lock, so the publication either precedes the
                // `unsubscribed` reply in the queue or is not queued at all.
                return AddResult.Closed;
            }

            var length = frame.Bytes.Length;
            switch (frame.Kind)
            {
                case OutboundFrameKind.Replay:
                    Append(frame);
                    return AddResult.Queued;
                case OutboundFrameKind.Control:
                    if (!Fits(length))
                    {
                        return AddResult.Overflow;
                    }

                    Append(frame);
                    return AddResult.Queued;
            }

            if (HasRoomForLive(length))
            {
                AppendLive(frame);
                return AddResult.Queued;
            }

            var policy = frame.Source?.SlowConsumerPolicy ?? SlowConsumerPolicy.Disconnect;
            if (policy == SlowConsumerPolicy.Disconnect)
            {
                return AddResult.Overflow;
            }

            var source = frame.Source!;
            dropped = policy == SlowConsumerPolicy.KeepLatest ? DropAllOf(source) : 0;

            // Oldest first: this channel's frames, then, if the queue is full of other channels' frames,
            // those of any channel that tolerates drops; failing that, lose this frame rather than the connection.
            dropped += DropUntilRoom(source, length);
            if (!HasRoomForLive(length))
            {
                dropped += DropUntilRoom(null, length);
            }

            if (!HasRoomForLive(length))
            {
                RecordDrop(source, 1);
                return AddResult.Dropped;
            }

            AppendLive(frame);
            return AddResult.Queued;
        }
    }

    /// <summary>
    /// Moves frames into <paramref name="batch"/> until it holds about <paramref name="maxBytes"/>, after a
    /// notice for every channel that lost frames since the last take.
    /// </summary>
    [MethodImpl(HotPath.Compile)]
    public void TakeInto<TBatch>(ref TBatch batch, int maxBytes)
        where TBatch : struct, IFrameBatch
    {
        List<(IFrameSource Source, int Count)>? drops;
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
                if (++_headIndex == _head.Slots.Length || _count == 0)
                {
                    ReleaseHead();
                }

                if (frame.Kind == OutboundFrameKind.Live)
                {
                    _live--;
                }

                if (frame.Kind != OutboundFrameKind.Dropped)
                {
                    _bytes -= frame.Bytes.Length;
                    batch.Add(frame);
                }
            }
        }
    }

    /// <summary>Records publications of <paramref name="source"/> lost before they reached the queue (held while it caught up).</summary>
    public void RecordDrops(IFrameSource source, int count)
    {
        lock (_lock)
        {
            if (!_completed)
            {
                RecordDrop(source, count);
            }
        }
    }

    /// <summary>Asks for <see cref="TakeReplayWaiters"/> to hand back <paramref name="source"/> once <see cref="HasReplayRoom"/> holds again.</summary>
    public void AwaitReplayRoom(IFrameSource source)
    {
        lock (_lock)
        {
            if (!_completed)
            {
                // Those unsubscribed meanwhile will not go on: a client resubscribing again and again
                // without reading must not pile them up here.
                _replayWaiters ??= [];
                _replayWaiters.RemoveAll(static waiter => waiter.IsEnded);
                _replayWaiters.Add(source);
            }
        }
    }

    /// <summary>
    /// Some replay waits for room (<see cref="AwaitReplayRoom"/>). The writer looks before it goes idle: a replay
    /// that found no room just before a write took the frames, and asked for room just after that write's flush
    /// looked for waiters, is otherwise woken by nothing (its request to schedule a flush came while one was running).
    /// </summary>
    public bool HasReplayWaiters => Volatile.Read(ref _replayWaiters) is not null;

    /// <summary>The subscriptions whose replay waits for room, if there is room now (they are removed).</summary>
    [MethodImpl(HotPath.Compile)]
    public List<IFrameSource>? TakeReplayWaiters()
    {
        // Read without the lock first: every flush asks, and almost always nothing waits.
        if (Volatile.Read(ref _replayWaiters) is null)
        {
            return null;
        }

        lock (_lock)
        {
            if (_replayWaiters is null || !ReplayRoom)
            {
                return null;
            }

            var waiters = _replayWaiters;
            _replayWaiters = null;
            return waiters;
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
            _replayWaiters = null;
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
            _bytes = 0;
            _drops = null;
            return discarded;
        }
    }

    private bool Fits(int length) => _bytes == 0 || _bytes + length <= ByteCapacity;

    private bool HasRoomForLive(int length) => _live < Capacity && Fits(length);

    private void AppendLive(in OutboundFrame frame)
    {
        Append(frame);
        _live++;
    }

    [MethodImpl(HotPath.Compile)]
    private void Append(in OutboundFrame frame)
    {
        if (_tail is null)
        {
            _head = _tail = FrameSegment.Rent(first: true);
            _headIndex = _tailIndex = 0;
        }
        else if (_tailIndex == _tail.Slots.Length)
        {
            var next = FrameSegment.Rent(first: false);
            _tail.Next = next;
            _tail = next;
            _tailIndex = 0;
        }

        _tail.Slots[_tailIndex++] = frame;
        _count++;
        _bytes += frame.Bytes.Length;
    }

    /// <summary>Gives the head segment back to the pool (its slots already cleared by the taker, unless <paramref name="clear"/>).</summary>
    [MethodImpl(HotPath.Compile)]
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
            for (; index < segment.Slots.Length && remaining > 0; index++, remaining--)
            {
                yield return (segment, index);
            }
        }
    }

    // The drop searches run only when a queue is full on a channel that drops (never on the hot path).
    private int DropAllOf(IFrameSource source)
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

    /// <summary>
    /// Drops live frames oldest first, of <paramref name="only"/>'s channel or (null) of any channel that
    /// tolerates drops, until a live frame of <paramref name="length"/> bytes fits.
    /// </summary>
    private int DropUntilRoom(IFrameSource? only, int length)
    {
        var dropped = 0;
        foreach (var (segment, index) in Slots())
        {
            if (HasRoomForLive(length))
            {
                break;
            }

            ref var slot = ref segment.Slots[index];
            var matches = only is null
                ? slot.Source is { SlowConsumerPolicy: not SlowConsumerPolicy.Disconnect }
                : ReferenceEquals(slot.Source, only);
            if (slot.Kind == OutboundFrameKind.Live && matches)
            {
                Drop(ref slot);
                dropped++;
            }
        }

        return dropped;
    }

    private void Drop(ref OutboundFrame slot)
    {
        RecordDrop(slot.Source!, 1);
        _bytes -= slot.Bytes.Length;
        slot = new OutboundFrame(default, OutboundFrameKind.Dropped);
        _live--;
    }

    private void RecordDrop(IFrameSource source, int count)
    {
        _drops ??= [];
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_drops);
        for (var i = 0; i < span.Length; i++)
        {
            if (ReferenceEquals(span[i].Source, source))
            {
                span[i].Count += count;
                return;
            }
        }

        _drops.Add((source, count));
    }

    public enum QueueState
    {
        /// <summary>Nothing to write.</summary>
        Empty,

        /// <summary>Frames, drop notices or a paused replay wait to be written (the close comes after them, if one was asked for).</summary>
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
