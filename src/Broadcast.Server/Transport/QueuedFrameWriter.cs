using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace Broadcast.Server.Transport;

/// <summary>
/// One client's single bounded outbound queue, written by the <see cref="FlushScheduler"/> one batch at a
/// time, whatever the socket under it: anyone may queue (broadcasts, replies); only the flusher writes, so
/// a slow socket holds up nobody but itself. The queue is bounded in live frames and in bytes of everything
/// waiting, replies included. A full queue makes the client a slow consumer: closed with 1008, or, for a
/// frame whose source's policy allows it, older frames are dropped and the client is told. A transport
/// derives from it with how a batch reaches its socket (<see cref="Flush"/>) and how the end is written.
/// </summary>
/// <remarks>Knows nothing of sessions, channels or dialects: it writes frames (<see cref="IFrameSink"/>).</remarks>
internal abstract partial class QueuedFrameWriter : IFrameSink, IFlushTarget, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Scheduled = 1;

    private readonly FlushScheduler _flusher;
    private int _flushState;
    private CloseRequest? _closeRequest;

    protected QueuedFrameWriter(long id, IPAddress? remoteAddress, TransportOptions options, FlushScheduler flusher, ITransportObserver observer, ILogger logger)
    {
        Id = id;
        RemoteAddress = remoteAddress;
        _flusher = flusher;
        Observer = observer;
        Logger = logger;
        CloseTimeout = options.CloseTimeout;
        Queue = new OutboundQueue(options.OutboundQueueCapacity, options.OutboundQueueBytes);
    }

    /// <summary>The connection's id on this node, as in the logs.</summary>
    public long Id { get; }

    long IFlushTarget.FlushId => Id;

    public IPAddress? RemoteAddress { get; }

    /// <summary>How long a close handshake the server started may take (<c>Broadcast:CloseTimeout</c>).</summary>
    internal TimeSpan CloseTimeout { get; }

    /// <summary>Set once the server decided to close this connection; null while it is healthy.</summary>
    internal CloseRequest? CloseRequest => Volatile.Read(ref _closeRequest);

    public bool IsClosing => CloseRequest is not null;

    /// <summary>Set by the transport when the connection negotiated permessage-deflate; null otherwise.</summary>
    public FrameCompression? Compression { get; init; }

    /// <summary>Live frames waiting to be written: the number bounded by the queue capacity (a replay is not counted).</summary>
    public int QueuedFrames => Queue.LiveCount;

    /// <summary>Bytes of every frame waiting to be written: bounded by <c>Broadcast:OutboundQueueBytes</c>.</summary>
    public long QueuedBytes => Queue.Bytes;

    public int QueueCapacity => Queue.Capacity;

    public long QueueByteCapacity => Queue.ByteCapacity;

    public long FreeQueueBytes => Math.Max(0, Queue.ByteCapacity - Queue.Bytes);

    public bool HasReplayRoom => Queue.HasReplayRoom;

    protected OutboundQueue Queue { get; }

    protected ITransportObserver Observer { get; }

    protected ILogger Logger { get; }

    public void AwaitReplayRoom(IFrameSource source)
    {
        Queue.AwaitReplayRoom(source);

        // Ensures a flush follows, which finds the room (or the frames whose writing makes it).
        ScheduleFlush();
    }

    public void ReportDropped(IFrameSource source, int count)
    {
        Queue.RecordDrops(source, count);
        Observer.FramesDropped(count);
        ScheduleFlush();
    }

    public void CloseAsSlowConsumer() => CloseAsSlowConsumer(OverflowCause.Live);

    private void CloseAsSlowConsumer(OverflowCause cause)
    {
        if (RequestClose(new CloseRequest(
                WebSocketCloseStatus.PolicyViolation,
                "slow consumer: outbound queue overflow",
                DrainFirst: false,
                AbortAfter: CloseTimeout)))
        {
            Observer.SlowConsumer(Id, RemoteAddress, cause, Queue.Capacity);
            LogSlowConsumer(Logger, Id, cause == OverflowCause.Reply ? "reply" : "publication", Queue.Capacity, Queue.ByteCapacity);
        }
    }

    public bool Close(WebSocketCloseStatus status, string reason, bool drainFirst) =>
        RequestClose(new CloseRequest(status, reason, drainFirst, CloseTimeout));

    /// <summary>
    /// Queues a reply, error or notice without waiting. The bytes must not change afterwards: the same array
    /// may be shared by every recipient. Returns false if the connection is closing or just overflowed (a
    /// reply that does not fit closes the client with 1008: replies are never dropped).
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => Add(new OutboundFrame(frame, OutboundFrameKind.Control));

    public bool TryEnqueueReply(ReadOnlyMemory<byte> frame) => Add(new OutboundFrame(frame, OutboundFrameKind.Control), reply: true);

    /// <summary>True once the connection's dialect sends binary frames (<see cref="UseBinaryFrames"/>): the writer's opcode for every data frame.</summary>
    protected bool SendsBinary { get; private set; }

    public void UseBinaryFrames() => SendsBinary = true;

    [MethodImpl(HotPath.Compile)]
    public bool EnqueueLive(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false) =>
        Add(new OutboundFrame(frame, OutboundFrameKind.Live, publishedUtcTicks, source, compressed));

    public bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false) =>
        Add(new OutboundFrame(frame, OutboundFrameKind.Replay, publishedUtcTicks, source, compressed));

    [MethodImpl(HotPath.Compile)]
    private bool Add(in OutboundFrame frame, bool reply = false)
    {
        if (CloseRequest is not null)
        {
            // Closing (often: a slow consumer being cut off): every later broadcast skips it at once.
            return false;
        }

        switch (Queue.TryAdd(frame, out var dropped))
        {
            case OutboundQueue.AddResult.Queued:
                if (dropped > 0)
                {
                    Observer.FramesDropped(dropped);
                }

                if (reply)
                {
                    FlushAloneIfIdle();
                }
                else
                {
                    ScheduleFlush();
                }

                return true;

            case OutboundQueue.AddResult.Dropped:
                Observer.FramesDropped(dropped);
                ScheduleFlush();
                return false;

            case OutboundQueue.AddResult.Overflow:
                CloseAsSlowConsumer(frame.Kind == OutboundFrameKind.Live ? OverflowCause.Live : OverflowCause.Reply);
                Observer.FramesDropped(1);
                return false;

            default:
                return false;
        }
    }

    /// <summary>Puts the connection in the flusher's next round, unless it is already waiting for one or writing.</summary>
    [MethodImpl(HotPath.Compile)]
    protected void ScheduleFlush()
    {
        if (TryTakeIdle())
        {
            _flusher.Schedule(this);
        }
    }

    /// <summary>
    /// For a reply the client waits for: an idle connection (nothing queued before it, nothing being written) is
    /// written at once, alone, on the thread pool, rather than in its shard's next round, which may wait for a
    /// timer. Otherwise the reply goes with the write already on its way. Which writer runs stays one at a time:
    /// taking the connection from idle to scheduled is what makes this call its writer.
    /// </summary>
    private void FlushAloneIfIdle()
    {
        if (TryTakeIdle())
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>
    /// Takes the connection from idle to scheduled; true makes the caller its one writer (it must see a flush
    /// started). The plain read first spares the compare-exchange on the hot path, where the connection is
    /// almost always already scheduled.
    /// </summary>
    [MethodImpl(HotPath.Compile)]
    private bool TryTakeIdle() =>
        Volatile.Read(ref _flushState) == Idle && Interlocked.CompareExchange(ref _flushState, Scheduled, Idle) == Idle;

    /// <summary>The write <see cref="FlushAloneIfIdle"/> started: a round of one, with a buffer of its own.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(FlushScheduler.BatchBytes);
        Flush(ref buffer);

        // Flush swapped in another buffer if its write had to finish in the background (that write returns its own).
        ArrayPool<byte>.Shared.Return(buffer);
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

        var discarded = Queue.Complete(discardPending: !request.DrainFirst);
        if (discarded > 0)
        {
            Observer.FramesDropped(discarded);
        }

        ScheduleFlush();
        AbortAfter(request.AbortAfter);
        return true;
    }

    /// <summary>
    /// True while the transport has a control frame of its own to write (a pong, a keep-alive ping) outside
    /// the queue: the writer then takes another round even with nothing queued.
    /// </summary>
    protected virtual bool HasPendingControl => false;

    /// <summary>Arms the deadline of a close the server started: past it the socket is aborted.</summary>
    protected abstract void AbortAfter(TimeSpan timeout);

    /// <summary>
    /// Called by the flusher, one call at a time per connection: writes what is queued as one batch. If the
    /// write cannot complete at once (the client reads slowly), it finishes in the background with its own
    /// buffer, and <paramref name="buffer"/> is replaced so the flusher can go on with other connections;
    /// either way <see cref="FinishFlush"/> follows the write. Returns the frames the write carried
    /// (<see cref="FramesCarried"/>), zero if nothing was written.
    /// </summary>
    public abstract int Flush(ref byte[] buffer);

    /// <summary>What a write of <paramref name="publications"/> counts as for the flush rounds: a write of replies or control frames alone counts one.</summary>
    protected static int FramesCarried(int publications) => Math.Max(1, publications);

    /// <summary>Everything before the close was written: the transport writes its close frame now (the flusher never calls again).</summary>
    protected abstract void OnQueueFinished();

    /// <summary>Lets replays paused for room queue their next portion, ahead of this write (never on the hot path: a list only while one waits).</summary>
    [MethodImpl(HotPath.Compile)]
    protected void ContinueReplays()
    {
        if (Queue.TakeReplayWaiters() is { } waiters)
        {
            foreach (var waiter in waiters)
            {
                waiter.ContinueReplay();
            }
        }
    }

    // Counted per batch: shared totals are touched once per write, and one latency sample per batch (its
    // oldest live frame, the one that waited longest) keeps the hot path cheap.
    [MethodImpl(HotPath.Compile)]
    protected void Written(int publications, int bytes, long oldestLiveTicks)
    {
        Observer.FramesSent(publications, bytes);
        if (oldestLiveTicks != 0)
        {
            Observer.DeliveryLatency(oldestLiveTicks);
        }
    }

    /// <summary>
    /// After a write: more frames (or the close) waiting means another round; otherwise the connection goes
    /// idle, and the next frame queued schedules it again. Once the queue is finished, the close may follow.
    /// </summary>
    [MethodImpl(HotPath.Compile)]
    protected void FinishFlush()
    {
        switch (Queue.State)
        {
            case OutboundQueue.QueueState.Finished:
                // Stays "scheduled" for good: nothing is written after this.
                OnQueueFinished();
                return;
            case OutboundQueue.QueueState.Pending:
                _flusher.Schedule(this);
                return;
        }

        // A replay waiting for room: the next flush hands it the room this write made (nothing else would).
        if (HasPendingControl || Queue.HasReplayWaiters)
        {
            _flusher.Schedule(this);
            return;
        }

        Volatile.Write(ref _flushState, Idle);

        // A frame (or the close, or a replay's wait for room) queued between the check and the reset saw
        // "scheduled" and did not schedule: look again.
        if ((Queue.State != OutboundQueue.QueueState.Empty || HasPendingControl || Queue.HasReplayWaiters) && TryTakeIdle())
        {
            _flusher.Schedule(this);
        }
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer: a {Cause} did not fit in its outbound queue ({Capacity} publications, {QueueBytes} bytes); closing with 1008")]
    private static partial void LogSlowConsumer(ILogger logger, long connectionId, string cause, int capacity, long queueBytes);
}
