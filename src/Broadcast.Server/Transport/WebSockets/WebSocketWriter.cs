using System.Buffers;
using System.Net;
using System.Net.WebSockets;

namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// One client's WebSocket with its single bounded outbound queue. Anyone may queue (broadcasts, replies);
/// only the <see cref="FlushScheduler"/> writes, one batch at a time, so a slow socket holds up nobody but
/// itself. The queue is bounded in live frames and in bytes of everything waiting, replies included. A full
/// queue makes the client a slow consumer: closed with 1008, or, for a frame whose source's policy allows
/// it, older frames are dropped and the client is told.
/// </summary>
/// <remarks>Knows nothing of sessions, channels or dialects: it writes frames (<see cref="IFrameSink"/>).</remarks>
internal sealed partial class WebSocketWriter : IFrameSink, IFlushTarget
{
    private const int Idle = 0;
    private const int Scheduled = 1;

    private readonly OutboundQueue _queue;
    private readonly FlushScheduler _flusher;
    private readonly ITransportObserver _observer;
    private readonly ILogger _logger;
    private readonly TimeSpan _closeTimeout;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _flushState;
    private CloseRequest? _closeRequest;

    private readonly SharedWriteStream? _output;

    internal WebSocketWriter(long id, WebSocket socket, SharedWriteStream? output, IPAddress? remoteAddress, TransportOptions options, FlushScheduler flusher, ITransportObserver observer, ILogger logger)
    {
        _output = output;
        Id = id;
        Socket = socket;
        RemoteAddress = remoteAddress;
        _flusher = flusher;
        _observer = observer;
        _logger = logger;
        _closeTimeout = options.CloseTimeout;
        _queue = new OutboundQueue(options.OutboundQueueCapacity, options.OutboundQueueBytes);
        _abort.Token.Register(static state => ((WebSocket)state!).Abort(), socket);
    }

    /// <summary>The connection's id on this node, as in the logs.</summary>
    public long Id { get; }

    long IFlushTarget.FlushId => Id;

    public IPAddress? RemoteAddress { get; }

    internal WebSocket Socket { get; }

    /// <summary>How long a close handshake the server started may take (<c>Broadcast:CloseTimeout</c>).</summary>
    internal TimeSpan CloseTimeout => _closeTimeout;

    /// <summary>Set once the server decided to close this connection; null while it is healthy.</summary>
    internal CloseRequest? CloseRequest => Volatile.Read(ref _closeRequest);

    public bool IsClosing => CloseRequest is not null;

    /// <summary>Live frames waiting to be written: the number bounded by the queue capacity (a replay is not counted).</summary>
    public int QueuedFrames => _queue.LiveCount;

    /// <summary>Bytes of every frame waiting to be written: bounded by <c>Broadcast:OutboundQueueBytes</c>.</summary>
    public long QueuedBytes => _queue.Bytes;

    public int QueueCapacity => _queue.Capacity;

    public long QueueByteCapacity => _queue.ByteCapacity;

    public long FreeQueueBytes => Math.Max(0, _queue.ByteCapacity - _queue.Bytes);

    public bool HasReplayRoom => _queue.HasReplayRoom;

    public void AwaitReplayRoom(IFrameSource source)
    {
        _queue.AwaitReplayRoom(source);

        // Ensures a flush follows, which finds the room (or the frames whose writing makes it).
        ScheduleFlush();
    }

    public void ReportDropped(IFrameSource source, int count)
    {
        _queue.RecordDrops(source, count);
        _observer.FramesDropped(count);
        ScheduleFlush();
    }

    public void CloseAsSlowConsumer() => CloseAsSlowConsumer(OverflowCause.Live);

    private void CloseAsSlowConsumer(OverflowCause cause)
    {
        if (RequestClose(new CloseRequest(
                WebSocketCloseStatus.PolicyViolation,
                "slow consumer: outbound queue overflow",
                DrainFirst: false,
                AbortAfter: _closeTimeout)))
        {
            _observer.SlowConsumer(Id, RemoteAddress, cause, _queue.Capacity);
            LogSlowConsumer(_logger, Id, cause == OverflowCause.Reply ? "reply" : "publication", _queue.Capacity, _queue.ByteCapacity);
        }
    }

    public bool Close(WebSocketCloseStatus status, string reason, bool drainFirst) =>
        RequestClose(new CloseRequest(status, reason, drainFirst, _closeTimeout));

    /// <summary>
    /// Queues a reply, error or notice without waiting. The bytes must not change afterwards: the same array
    /// may be shared by every recipient. Returns false if the connection is closing or just overflowed (a
    /// reply that does not fit closes the client with 1008: replies are never dropped).
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => Add(new OutboundFrame(frame, OutboundFrameKind.Control));

    public bool EnqueueLive(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source) =>
        Add(new OutboundFrame(frame, OutboundFrameKind.Live, publishedUtcTicks, source));

    public bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source) =>
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
                    _observer.FramesDropped(dropped);
                }

                ScheduleFlush();
                return true;

            case OutboundQueue.AddResult.Dropped:
                _observer.FramesDropped(dropped);
                ScheduleFlush();
                return false;

            case OutboundQueue.AddResult.Overflow:
                CloseAsSlowConsumer(frame.Kind == OutboundFrameKind.Live ? OverflowCause.Live : OverflowCause.Reply);
                _observer.FramesDropped(1);
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
    public bool RequestClose(CloseRequest request)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, request, null) is not null)
        {
            return false;
        }

        var discarded = _queue.Complete(discardPending: !request.DrainFirst);
        if (discarded > 0)
        {
            _observer.FramesDropped(discarded);
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
    public void Flush(ref byte[] buffer)
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
        _observer.FramesSent(publications, bytes);
        if (oldestLiveTicks != 0)
        {
            _observer.DeliveryLatency(oldestLiveTicks);
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

    internal void DisposeResources() => _abort.Dispose();

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer: a {Cause} did not fit in its outbound queue ({Capacity} publications, {QueueBytes} bytes); closing with 1008")]
    private static partial void LogSlowConsumer(ILogger logger, long connectionId, string cause, int capacity, long queueBytes);
}
