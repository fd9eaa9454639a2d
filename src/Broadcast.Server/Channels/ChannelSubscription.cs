using System.Runtime.CompilerServices;
using Broadcast.Server.Engines;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Channels;

/// <summary>
/// One connection's subscription to one channel, and the switch from replay to live that makes
/// resume lossless. While the subscription is being set up and catches up (history read, replay
/// queued), live publications are held in <c>_pending</c>; once the whole replay is queued, the held
/// ones that are newer than the last replayed offset follow, and from then on publications go straight
/// to the queue. The last offset sent guards against duplicates at the switch.
/// </summary>
/// <remarks>
/// A replay goes out in portions: each fills the connection's queue to at most half its bounds, and the
/// next follows when the client has read enough (the connection calls <see cref="ContinueReplay"/>), so a
/// replay of any size passes through a bounded queue and a client that stops reading holds no more than
/// the bound. What is held meanwhile is bounded like the queue: past its frames or bytes, the channel's
/// slow-consumer policy applies to the held publications.
/// </remarks>
public sealed class ChannelSubscription : IFrameSource
{
    private readonly IFrameSink _connection;
    private readonly FrameCompression? _compression;
    private readonly IChannelEncoding _encoding;
    private readonly string _origin;
    private readonly object _gate = new();
    private List<HeldItem>? _pending = [];
    private int _heldPublications;
    private long _heldBytes;
    private int _oldestHeld;
    private IReadOnlyList<Publication>? _replay;
    private int _replayNext;
    private StreamPosition _replayPosition;
    private bool _replyQueued;
    private long _lastOffset;
    private string? _epoch;

    private bool _ended;
    private ReadOnlyMemory<byte> _dropNotice;
    private int _dropNoticeCount;

    internal ChannelSubscription(ISubscriber subscriber, string channel, bool wantsPresence, SlowConsumerPolicy slowConsumerPolicy = SlowConsumerPolicy.Disconnect)
    {
        _connection = subscriber.Frames;
        _compression = subscriber.Frames.Compression;
        _encoding = subscriber.Encoding;
        Channel = channel;
        WantsPresence = wantsPresence;
        SlowConsumerPolicy = slowConsumerPolicy;
        // Fixed at subscribe time, so the leave removes exactly the member the join added. A subscriber's
        // session does not change once it may subscribe (a v2 client's hello comes first, and only once).
        Member = new(subscriber.ClientKey, subscriber.Session, subscriber.Name, subscriber.UserId);
        _origin = subscriber.Session;
        ClientKey = subscriber.ClientKey;
    }

    public string Channel { get; }

    public bool WantsPresence { get; }

    /// <summary>True once the subscription was ended; the connection's queue refuses its publications from then on.</summary>
    public bool IsEnded => Volatile.Read(ref _ended);

    /// <summary>Ends the subscription: decided under the queue's lock, so no publication of it is queued after anything queued later.</summary>
    internal void End()
    {
        Volatile.Write(ref _ended, true);
        lock (_gate)
        {
            // A replay still in progress will never be sent: let go of it and of what was held behind it.
            if (_replay is not null)
            {
                Abandon();
            }
        }
    }

    /// <summary>What the connection's queue does with this channel's publications when it is full.</summary>
    public SlowConsumerPolicy SlowConsumerPolicy { get; }

    /// <summary>
    /// The frame telling the client that <paramref name="count"/> of this channel's publications were dropped,
    /// in the subscriber's encoding.
    /// </summary>
    public ReadOnlyMemory<byte> DropNotice(int count)
    {
        // Called by the connection's single flush: a client that keeps lagging by the same amount reuses the frame.
        if (_dropNotice.IsEmpty || _dropNoticeCount != count)
        {
            _dropNotice = _encoding.Dropped(Channel, count);
            _dropNoticeCount = count;
        }

        return _dropNotice;
    }

    public string ClientKey { get; }

    /// <summary>The subscriber's encoding: the hub builds a channel notice once per encoding.</summary>
    internal IChannelEncoding Encoding => _encoding;

    internal PresenceMember Member { get; }

    /// <summary>This subscription's place in its channel's <see cref="ChannelHub"/> entry (-1: not there); changed under the hub's lock.</summary>
    internal int HubIndex { get; set; } = -1;

    /// <summary>Live publications arrive here, in offset order, from the engine via the hub.</summary>
    [MethodImpl(HotPath.Compile)]
    internal void Deliver(Publication publication)
    {
        if (Volatile.Read(ref _pending) is not null)
        {
            lock (_gate)
            {
                if (_pending is not null)
                {
                    Hold(publication);
                    return;
                }
            }
        }

        Send(publication, catchingUp: false);
    }

    /// <summary>Holds a live publication while catching up; past the queue's bounds, the channel's policy decides.</summary>
    private void Hold(Publication publication)
    {
        if (IsEnded || _connection.IsClosing)
        {
            // Going away: nothing held would ever be sent.
            return;
        }

        var bytes = FrameFor(publication, out _).Length;
        _pending!.Add(new HeldItem(publication, default));
        _heldPublications++;
        _heldBytes += bytes;
        if (_heldPublications <= _connection.QueueCapacity && _heldBytes <= _connection.QueueByteCapacity)
        {
            return;
        }

        switch (SlowConsumerPolicy)
        {
            case SlowConsumerPolicy.Disconnect:
                _connection.CloseAsSlowConsumer();
                _pending.Clear();
                _heldPublications = 0;
                _heldBytes = 0;
                _oldestHeld = 0;
                return;
            case SlowConsumerPolicy.KeepLatest:
                // Only the newest matters: everything held before it goes.
                DropHeld(1, long.MaxValue);
                return;
            default:
                DropHeld(_connection.QueueCapacity, _connection.QueueByteCapacity);
                return;
        }
    }

    /// <summary>Drops held publications, oldest first (notices stay), until the bounds hold; the newest always stays.</summary>
    private void DropHeld(int maxPublications, long maxBytes)
    {
        var dropped = 0;
        var pending = _pending!;
        for (; _oldestHeld < pending.Count && _heldPublications > 1 && (_heldPublications > maxPublications || _heldBytes > maxBytes); _oldestHeld++)
        {
            if (pending[_oldestHeld].Publication is { } publication)
            {
                pending[_oldestHeld] = default;
                _heldPublications--;
                _heldBytes -= FrameFor(publication, out _).Length;
                dropped++;
            }
        }

        if (dropped > 0)
        {
            _connection.ReportDropped(this, dropped);
        }
    }

    /// <summary>
    /// Tells the client that it may have missed publications that cannot be recovered. An encoding without
    /// such a notice (legacy clients have no way to hear it) gives an empty frame: they simply continue.
    /// </summary>
    internal void DeliverUnrecoverable(ReadOnlyMemory<byte> frame)
    {
        if (frame.IsEmpty)
        {
            return;
        }

        if (Volatile.Read(ref _pending) is not null)
        {
            lock (_gate)
            {
                if (_pending is not null)
                {
                    // Before the reply, it says itself whether the subscription recovered (it reads after
                    // the loss), and no frame of the channel may come before it. Once the reply is out, the
                    // notice waits in line with the live publications held behind the replay.
                    if (_replyQueued && !IsEnded)
                    {
                        _pending.Add(new HeldItem(null, frame));
                    }

                    return;
                }
            }
        }

        _connection.TryEnqueue(frame);
    }

    /// <summary>Queues a control frame (presence events) for this subscriber.</summary>
    internal void DeliverControl(ReadOnlyMemory<byte> frame)
    {
        if (!frame.IsEmpty)
        {
            _connection.TryEnqueue(frame);
        }
    }

    /// <summary>
    /// Ends the setup: queues <paramref name="reply"/> (none if empty), then <paramref name="replay"/> (in
    /// portions, as the client reads), then whatever arrived live meanwhile that the replay did not cover,
    /// and switches to live delivery.
    /// </summary>
    /// <param name="position">The channel's position read with the replay; live publications at or below it are covered.</param>
    internal void GoLive(ReadOnlyMemory<byte> reply, StreamPosition position, IReadOnlyList<Publication> replay)
    {
        lock (_gate)
        {
            if (!reply.IsEmpty)
            {
                _connection.TryEnqueue(reply);
            }

            _replyQueued = true;
            _replay = replay;
            _replayNext = 0;
            _replayPosition = position;
            ContinueLocked();
        }
    }

    /// <summary>Queues the next portion of a replay paused for room; called by the connection's flush once there is room.</summary>
    public void ContinueReplay()
    {
        lock (_gate)
        {
            if (_replay is not null)
            {
                ContinueLocked();
            }
        }
    }

    private void ContinueLocked()
    {
        var replay = _replay!;
        while (_replayNext < replay.Count)
        {
            if (IsEnded || _connection.IsClosing)
            {
                Abandon();
                return;
            }

            if (!_connection.HasReplayRoom)
            {
                _connection.AwaitReplayRoom(this);
                return;
            }

            Send(replay[_replayNext++], catchingUp: true);
        }

        _replay = null;

        // Offsets only grow within an epoch, so everything at or below the position read with the
        // replay was either replayed or predates the subscription: held publications up to it are
        // duplicates, the newer ones follow in order, as live publications (counted and bounded as such).
        if (_epoch != _replayPosition.Epoch || _lastOffset < _replayPosition.Offset)
        {
            _epoch = _replayPosition.Epoch;
            _lastOffset = _replayPosition.Offset;
        }

        // From the start: dropped entries are empty, and a notice may sit before the oldest held publication.
        var pending = _pending!;
        for (var i = 0; i < pending.Count; i++)
        {
            if (pending[i].Publication is { } publication)
            {
                Send(publication, catchingUp: false);
            }
            else if (!pending[i].Notice.IsEmpty)
            {
                _connection.TryEnqueue(pending[i].Notice);
            }
        }

        Volatile.Write(ref _pending, null);
    }

    /// <summary>Gives up a replay that will never be sent (unsubscribed or closing). Stays "catching up", so nothing follows.</summary>
    private void Abandon()
    {
        _replay = null;
        _pending = [];
        _heldPublications = 0;
        _heldBytes = 0;
        _oldestHeld = 0;
    }

    /// <summary>
    /// The publication's frame for this subscriber: shared by every recipient of the encoding, compressed (once
    /// per publication, beside the encoded frame) if the connection negotiated permessage-deflate and the frame
    /// is long enough to be worth it.
    /// </summary>
    [MethodImpl(HotPath.Compile)]
    private ReadOnlyMemory<byte> FrameFor(Publication publication, out bool compressed)
    {
        var frame = publication.EncodedBy(_encoding);
        compressed = false;
        if (_compression is { } compression && frame.Length >= compression.MinBytes)
        {
            var packed = publication.CompressedBy(_encoding, compression.Compress);
            if (!packed.IsEmpty)
            {
                compressed = true;
                return packed;
            }
        }

        return frame;
    }

    /// <summary>Queues a publication unless it is one already sent or the client's own. Returns true if queued.</summary>
    /// <param name="catchingUp">Replayed: paced by the replay, so not counted as live backlog.</param>
    [MethodImpl(HotPath.Compile)]
    private bool Send(Publication publication, bool catchingUp)
    {
        if (publication.Offset <= _lastOffset && string.Equals(publication.Epoch, _epoch, StringComparison.Ordinal))
        {
            return false;
        }

        _epoch = publication.Epoch;
        _lastOffset = publication.Offset;
        if (string.Equals(publication.Origin, _origin, StringComparison.Ordinal))
        {
            return false;
        }

        var frame = FrameFor(publication, out var compressed);
        var published = publication.TimestampUtc.Ticks;
        return catchingUp ? _connection.EnqueueReplay(frame, published, this, compressed) : _connection.EnqueueLive(frame, published, this, compressed);
    }

    /// <summary>Something held while catching up: a live publication, or (Publication null) an <c>unrecovered</c> notice; both empty once dropped.</summary>
    private readonly record struct HeldItem(Publication? Publication, ReadOnlyMemory<byte> Notice);
}
