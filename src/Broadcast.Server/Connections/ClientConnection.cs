using System.Buffers;
using System.Net;
using System.Net.WebSockets;

namespace Broadcast.Server.Connections;

/// <summary>
/// One client's WebSocket with its single bounded outbound queue. Anyone may queue (broadcasts, replies);
/// only the <see cref="FlushScheduler"/> writes, one batch at a time, so a slow socket holds up nobody but
/// itself. The queue is bounded in live frames and in bytes of everything waiting, replies included. A full
/// queue makes the client a slow consumer: closed with 1008, or, for a publication on a channel whose policy
/// allows it, older publications are dropped and the client is told.
/// </summary>
public sealed class ClientConnection
{
    private const int Idle = 0;
    private const int Scheduled = 1;

    private readonly OutboundQueue _queue;
    private readonly ConnectionEvents _events;
    private readonly FlushScheduler _flusher;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _flushState;
    private CloseRequest? _closeRequest;
    private Security.ClientPrincipal? _principal;

    private readonly SharedWriteStream? _output;

    internal ClientConnection(long id, string nodeId, WebSocket socket, SharedWriteStream? output, IPAddress? remoteAddress, bool isLegacy, int queueCapacity, ConnectionEvents events)
    {
        _output = output;
        Id = id;
        ClientKey = nodeId + ":" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        IsLegacy = isLegacy;
        // A legacy client never resumes, so its token is thrown away; a v2 client's hello replaces this.
        Session = Sessions.SessionId.PublicIdOf(Sessions.SessionId.New());
        Socket = socket;
        RemoteAddress = remoteAddress;
        _events = events;
        _flusher = events.Flusher;
        _queue = new OutboundQueue(queueCapacity, events.QueueBytes);
        _abort.Token.Register(static state => ((WebSocket)state!).Abort(), socket);
    }

    public long Id { get; }

    /// <summary>When the upgrade was accepted (UTC).</summary>
    public DateTimeOffset ConnectedAt { get; } = DateTimeOffset.UtcNow;

    public IPAddress? RemoteAddress { get; }

    /// <summary>Unique across nodes: identifies this connection in presence.</summary>
    public string ClientKey { get; }

    /// <summary>
    /// True for clients of the original protocol: they receive only <c>{"message","timestamp"}</c>
    /// broadcasts and error replies, on the channel <c>events</c>.
    /// </summary>
    public bool IsLegacy { get; }

    /// <summary>
    /// The public id of the client's session: the origin of its publications and its id in presence. Random
    /// for legacy clients; a v2 client may resume an earlier session in hello.
    /// </summary>
    public string Session { get; internal set; }

    /// <summary>The display name a v2 client gave in hello, shown in presence.</summary>
    public string? Name { get; internal set; }

    /// <summary>What the client's token allows, and until when; null for an anonymous client.</summary>
    internal Security.ClientPrincipal? Principal
    {
        get => Volatile.Read(ref _principal);
        set => Volatile.Write(ref _principal, value);
    }

    /// <summary>Closes the connection when <see cref="Principal"/> expires without a refresh.</summary>
    internal ITimer? ExpiryTimer { get; set; }

    /// <summary>True once a v2 client's hello was accepted.</summary>
    internal bool HasGreeted { get; set; }

    /// <summary>This connection's publish and request budgets (Broadcast:Limits); used by its receive loop only.</summary>
    internal Security.ConnectionBudget? Budget { get; set; }

    /// <summary>
    /// The client kept publishing (or requesting) through its <c>rate_limited</c> errors: close with 1008
    /// after the replies already queued. <paramref name="reason"/>: <c>publish rate limit exceeded</c> or
    /// <c>request rate limit exceeded</c>.
    /// </summary>
    internal void CloseForFlooding(string reason) =>
        RequestClose(new CloseRequest(WebSocketCloseStatus.PolicyViolation, reason, DrainFirst: true, _events.CloseTimeout));

    /// <summary>A legacy client's publishes waiting on the engine (Redis); created on the first one that has to wait.</summary>
    internal PublishPipeline? Publishes { get; set; }

    /// <summary>This connection's subscriptions, by channel. Touched only by the connection's receive loop.</summary>
    internal Dictionary<string, Channels.Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    internal WebSocket Socket { get; }

    /// <summary>Set once the server decided to close this connection; null while it is healthy.</summary>
    internal CloseRequest? CloseRequest => Volatile.Read(ref _closeRequest);

    /// <summary>Live frames waiting to be written: the number bounded by the queue capacity (a replay is not counted).</summary>
    public int QueuedFrames => _queue.LiveCount;

    /// <summary>Bytes of every frame waiting to be written: bounded by <c>Broadcast:OutboundQueueBytes</c>.</summary>
    public long QueuedBytes => _queue.Bytes;

    /// <summary>Live frames that may wait (<c>Broadcast:OutboundQueueCapacity</c>).</summary>
    internal int QueueCapacity => _queue.Capacity;

    /// <summary>Bytes that may wait (<c>Broadcast:OutboundQueueBytes</c>).</summary>
    internal long QueueByteCapacity => _queue.ByteCapacity;

    /// <summary>Bytes a reply may still take before the queue is full; a history page is cut to it.</summary>
    internal long FreeQueueBytes => Math.Max(0, _queue.ByteCapacity - _queue.Bytes);

    /// <summary>True while a replay may queue more of itself (the queue is at most half full).</summary>
    internal bool HasReplayRoom => _queue.HasReplayRoom;

    /// <summary>Has <paramref name="source"/>'s paused replay continued (<see cref="Channels.Subscription.ContinueReplay"/>) once the queue has room.</summary>
    internal void AwaitReplayRoom(Channels.Subscription source)
    {
        _queue.AwaitReplayRoom(source);

        // Ensures a flush follows, which finds the room (or the frames whose writing makes it).
        ScheduleFlush();
    }

    /// <summary>Publications of <paramref name="source"/> dropped before they reached the queue; the client is told with the next write.</summary>
    internal void ReportDropped(Channels.Subscription source, int count)
    {
        _queue.RecordDrops(source, count);
        _events.Metrics.SlowConsumerDropped(count);
        ScheduleFlush();
    }

    /// <summary>More publications arrived while the client caught up than its queue may hold, on a channel that disconnects.</summary>
    internal void CloseAsSlowConsumer(OverflowCause cause)
    {
        if (RequestClose(new CloseRequest(
                WebSocketCloseStatus.PolicyViolation,
                "slow consumer: outbound queue overflow",
                DrainFirst: false,
                AbortAfter: _events.CloseTimeout)))
        {
            _events.SlowConsumer(this, cause);
        }
    }

    /// <summary>
    /// Queues a reply, error or notice without waiting. The bytes must not change afterwards: the same array
    /// may be shared by every recipient. Returns false if the connection is closing or just overflowed (a
    /// reply that does not fit closes the client with 1008: replies are never dropped).
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => Add(new OutboundFrame(frame, OutboundFrameKind.Control));

    /// <summary>
    /// Queues a live publication's frame for <paramref name="source"/>, whose channel's slow-consumer policy
    /// applies if the queue is full; <paramref name="publishedUtcTicks"/> lets the writer measure delivery latency.
    /// </summary>
    internal bool EnqueuePublication(ReadOnlyMemory<byte> frame, long publishedUtcTicks, Channels.Subscription? source) =>
        Add(new OutboundFrame(frame, OutboundFrameKind.Live, publishedUtcTicks, source));

    /// <summary>
    /// Queues a replayed frame of <paramref name="source"/>: never refused for room, since its sender queues
    /// only while <see cref="HasReplayRoom"/> holds; counted in the queue's bytes, not in its live frames.
    /// </summary>
    internal bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks, Channels.Subscription? source) =>
        Add(new OutboundFrame(frame, OutboundFrameKind.Replay, publishedUtcTicks, source));

    private bool Add(in OutboundFrame frame)
    {
        if (CloseRequest is not null)
        {
            // Closing (often: a slow consumer being cut off): every later broadcast skips it at once.
            return false;
        }

        switch (_queue.TryAdd(frame, out var dropped))
        {
            case OutboundQueue.AddResult.Queued:
                if (dropped > 0)
                {
                    _events.Metrics.SlowConsumerDropped(dropped);
                }

                ScheduleFlush();
                return true;

            case OutboundQueue.AddResult.Dropped:
                _events.Metrics.SlowConsumerDropped(dropped);
                ScheduleFlush();
                return false;

            case OutboundQueue.AddResult.Overflow:
                CloseAsSlowConsumer(frame.Kind == OutboundFrameKind.Live ? OverflowCause.Publication : OverflowCause.Reply);
                _events.Metrics.SlowConsumerDropped(1);
                return false;

            default:
                return false;
        }
    }

    /// <summary>Puts the connection in the flusher's next round, unless it is already waiting for one or writing.</summary>
    private void ScheduleFlush()
    {
        if (Volatile.Read(ref _flushState) == Idle && Interlocked.CompareExchange(ref _flushState, Scheduled, Idle) == Idle)
        {
            _flusher.Schedule(this);
        }
    }

    /// <summary>
    /// Starts closing the connection. The first request wins; later ones return false. The flusher writes
    /// what is queued (or, unless <see cref="CloseRequest.DrainFirst"/>, drops it), then the close frame
    /// follows; if the handshake does not finish in time the socket is aborted.
    /// </summary>
    internal bool RequestClose(CloseRequest request)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, request, null) is not null)
        {
            return false;
        }

        var discarded = _queue.Complete(discardPending: !request.DrainFirst);
        if (discarded > 0)
        {
            _events.Metrics.SlowConsumerDropped(discarded);
        }

        ScheduleFlush();
        try
        {
            _abort.CancelAfter(request.AbortAfter);
        }
        catch (ObjectDisposedException)
        {
            // The connection already finished; nothing left to abort.
        }

        return true;
    }

    /// <summary>Aborts the socket now: used when the peer is gone or the handshake overran.</summary>
    internal void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Waits until every frame the connection will ever send was written (the queue was completed by
    /// <see cref="RequestClose"/> and flushed), then sends the close frame the server asked for. Never
    /// throws: a failed send means the peer is gone.
    /// </summary>
    internal async Task RunWriterAsync()
    {
        try
        {
            await _finished.Task.ConfigureAwait(false);
            if (CloseRequest is { } close && Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await Socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer vanished or the socket was aborted; the receive loop sees it too and cleans up.
            Abort();
        }
    }

    /// <summary>
    /// Called by the flusher, one call at a time per connection: writes what is queued as one batch. If the
    /// write cannot complete at once (the client reads slowly), it finishes in the background with its own
    /// buffer, and <paramref name="buffer"/> is replaced so the flusher can go on with other connections.
    /// </summary>
    internal void Flush(ref byte[] buffer)
    {
        ContinueReplays();
        if (_output is null)
        {
            _ = SendOneByOneAsync();
            return;
        }

        var batch = new FrameBatch(buffer);
        _queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        buffer = batch.Buffer;
        if (batch.Length == 0)
        {
            FinishFlush();
            return;
        }

        // Once the WebSocket has sent a close frame (e.g. it rejected a bad frame), no data may follow.
        if (Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            FinishFlush();
            return;
        }

        ValueTask write;
        try
        {
            write = _output.WriteAsync(buffer.AsMemory(0, batch.Length));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Abort();
            FinishFlush();
            return;
        }

        if (!write.IsCompleted)
        {
            // The client is not keeping up: finish this write on its own, with the buffer it holds.
            var pending = buffer;
            buffer = ArrayPool<byte>.Shared.Rent(FlushScheduler.BatchBytes);
            _ = CompleteWriteAsync(write, pending, batch.Publications, batch.Length, batch.OldestLiveTicks);
            return;
        }

        try
        {
            write.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Abort();
        }

        Written(batch.Publications, batch.Length, batch.OldestLiveTicks);
        FinishFlush();
    }

    private async Task CompleteWriteAsync(ValueTask write, byte[] buffer, int publications, int bytes, long oldestLiveTicks)
    {
        try
        {
            await write.ConfigureAwait(false);
            Written(publications, bytes, oldestLiveTicks);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        FinishFlush();
    }

    /// <summary>For connections whose stream the server does not own (WebSockets over HTTP/2): one send per frame.</summary>
    private async Task SendOneByOneAsync()
    {
        var frames = new List<OutboundFrame>();
        var batch = new FrameBatch([], frames);
        _queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        try
        {
            foreach (var frame in frames)
            {
                if (Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    break;
                }

                await Socket.SendAsync(frame.Bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }

            Written(batch.Publications, batch.Length, batch.OldestLiveTicks);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
        }

        FinishFlush();
    }

    /// <summary>Lets replays paused for room queue their next portion, ahead of this write (never on the hot path: a list only while one waits).</summary>
    private void ContinueReplays()
    {
        if (_queue.TakeReplayWaiters() is { } waiters)
        {
            foreach (var waiter in waiters)
            {
                waiter.ContinueReplay();
            }
        }
    }

    // Counted per batch: shared totals are touched once per write, and one latency sample per batch (its
    // oldest live frame, the one that waited longest) keeps the hot path cheap.
    private void Written(int publications, int bytes, long oldestLiveTicks)
    {
        _events.Metrics.FramesSent(publications, bytes);
        if (oldestLiveTicks != 0)
        {
            _events.Metrics.DeliveryLatency(oldestLiveTicks);
        }
    }

    /// <summary>
    /// After a write: more frames (or the close) waiting means another round; otherwise the connection goes
    /// idle, and the next frame queued schedules it again. Once the queue is finished, the close may follow.
    /// </summary>
    private void FinishFlush()
    {
        switch (_queue.State)
        {
            case OutboundQueue.QueueState.Finished:
                // Stays "scheduled" for good: nothing is written after this.
                _finished.TrySetResult();
                return;
            case OutboundQueue.QueueState.Pending:
                _flusher.Schedule(this);
                return;
        }

        Volatile.Write(ref _flushState, Idle);

        // A frame (or the close) queued between the check and the reset saw "scheduled" and did not
        // schedule: look again.
        if (_queue.State != OutboundQueue.QueueState.Empty && Interlocked.CompareExchange(ref _flushState, Scheduled, Idle) == Idle)
        {
            _flusher.Schedule(this);
        }
    }

    internal void DisposeResources()
    {
        ExpiryTimer?.Dispose();
        _abort.Dispose();
    }
}
