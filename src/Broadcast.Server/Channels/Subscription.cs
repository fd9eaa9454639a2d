using Broadcast.Server.Connections;

namespace Broadcast.Server.Channels;

/// <summary>
/// One connection's subscription to one channel, and the switch from replay to live that makes
/// resume lossless. While the subscription is being set up (history read, replay queued), live
/// publications are held in <c>_pending</c>; once the replay is queued, the held ones that are newer
/// than the last replayed offset follow, and from then on publications go straight to the queue.
/// The last offset sent guards against duplicates at the switch.
/// </summary>
public sealed class Subscription
{
    private readonly ClientConnection _connection;
    private readonly object _gate = new();
    private List<Publication>? _pending = [];
    private long _lastOffset;
    private string? _epoch;

    private bool _ended;
    private byte[]? _dropNotice;
    private int _dropNoticeCount;

    internal Subscription(ClientConnection connection, string channel, bool wantsPresence, SlowConsumerPolicy slowConsumerPolicy = SlowConsumerPolicy.Disconnect)
    {
        _connection = connection;
        Channel = channel;
        WantsPresence = wantsPresence;
        SlowConsumerPolicy = slowConsumerPolicy;
        // Fixed at subscribe time, so the leave removes exactly the member the join added.
        Member = new(connection.ClientKey, connection.Session, connection.Name, connection.Principal?.UserId);
    }

    public string Channel { get; }

    public bool WantsPresence { get; }

    /// <summary>True once the subscription was ended; the connection's queue refuses its publications from then on.</summary>
    internal bool IsEnded => Volatile.Read(ref _ended);

    /// <summary>Ends the subscription: decided under the queue's lock, so no publication of it is queued after anything queued later.</summary>
    internal void End() => Volatile.Write(ref _ended, true);

    /// <summary>What the connection's queue does with this channel's publications when it is full.</summary>
    public SlowConsumerPolicy SlowConsumerPolicy { get; }

    /// <summary>
    /// The frame telling the client that <paramref name="count"/> of this channel's publications were dropped:
    /// a <c>dropped</c> notice in the extended protocol, the <c>messages_dropped</c> error for a legacy client.
    /// </summary>
    internal ReadOnlyMemory<byte> DropNotice(int count)
    {
        if (_connection.IsLegacy)
        {
            return Protocol.ProtocolErrors.MessagesDropped.Frame;
        }

        // Called by the connection's single flush: a client that keeps lagging by the same amount reuses the frame.
        if (_dropNotice is null || _dropNoticeCount != count)
        {
            _dropNotice = Protocol.ServerFrames.Dropped(Channel, count);
            _dropNoticeCount = count;
        }

        return _dropNotice;
    }

    public string ClientKey => _connection.ClientKey;

    internal PresenceMember Member { get; }

    /// <summary>This subscription's place in its channel's <see cref="ChannelHub"/> entry (-1: not there); changed under the hub's lock.</summary>
    internal int HubIndex { get; set; } = -1;

    /// <summary>Live publications arrive here, in offset order, from the engine via the hub.</summary>
    internal void Deliver(Publication publication)
    {
        if (Volatile.Read(ref _pending) is not null)
        {
            lock (_gate)
            {
                if (_pending is not null)
                {
                    _pending.Add(publication);
                    return;
                }
            }
        }

        Send(publication, catchingUp: false);
    }

    /// <summary>
    /// Tells an extended-protocol client that it may have missed publications that cannot be recovered.
    /// Legacy clients have no way to hear it; they simply continue.
    /// </summary>
    internal void DeliverUnrecoverable(ReadOnlyMemory<byte> frame)
    {
        if (_connection.IsLegacy)
        {
            return;
        }

        if (Volatile.Read(ref _pending) is not null)
        {
            lock (_gate)
            {
                if (_pending is not null)
                {
                    // Still being set up: its own reply (read after the loss) says whether it recovered,
                    // and no frame of the channel may come before that reply.
                    return;
                }
            }
        }

        _connection.EnqueueReplay(frame);
    }

    /// <summary>Queues a control frame (presence events) for this subscriber.</summary>
    internal void DeliverControl(ReadOnlyMemory<byte> frame) => _connection.TryEnqueue(frame);

    /// <summary>
    /// Ends the setup: queues <paramref name="reply"/> (none if empty), then <paramref name="replay"/>, then whatever
    /// arrived live meanwhile that the replay did not cover, and switches to live delivery.
    /// </summary>
    /// <param name="position">The channel's position read with the replay; live publications at or below it are covered.</param>
    /// <returns>The number of publications replayed to the client.</returns>
    internal int GoLive(ReadOnlyMemory<byte> reply, StreamPosition position, IReadOnlyList<Publication> replay)
    {
        lock (_gate)
        {
            if (!reply.IsEmpty)
            {
                _connection.TryEnqueue(reply);
            }

            var replayed = 0;
            foreach (var publication in replay)
            {
                if (Send(publication, catchingUp: true))
                {
                    replayed++;
                }
            }

            // Offsets only grow within an epoch, so everything at or below the position read with the
            // replay was either replayed or predates the subscription: held publications up to it are
            // duplicates, the newer ones follow in order.
            if (_epoch != position.Epoch || _lastOffset < position.Offset)
            {
                _epoch = position.Epoch;
                _lastOffset = position.Offset;
            }

            foreach (var publication in _pending!)
            {
                Send(publication, catchingUp: true);
            }

            Volatile.Write(ref _pending, null);
            return replayed;
        }
    }

    /// <summary>Queues a publication unless it is one already sent or the client's own. Returns true if queued.</summary>
    /// <param name="catchingUp">Replayed or held during setup: bounded by the history, so not counted as live backlog.</param>
    private bool Send(Publication publication, bool catchingUp)
    {
        if (publication.Offset <= _lastOffset && string.Equals(publication.Epoch, _epoch, StringComparison.Ordinal))
        {
            return false;
        }

        _epoch = publication.Epoch;
        _lastOffset = publication.Offset;
        if (string.Equals(publication.Origin, _connection.Session, StringComparison.Ordinal))
        {
            return false;
        }

        var frame = _connection.IsLegacy ? publication.LegacyFrame : publication.Frame;
        var published = publication.TimestampUtc.Ticks;
        return catchingUp ? _connection.EnqueueReplay(frame, published) : _connection.EnqueuePublication(frame, published, this);
    }
}
