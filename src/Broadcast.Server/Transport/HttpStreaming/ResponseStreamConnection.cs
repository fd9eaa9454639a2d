using System.Buffers;
using System.Net;
using System.Threading.Channels;

namespace Broadcast.Server.Transport.HttpStreaming;

/// <summary>
/// A connection carried by one long-lived HTTP response (HTTP streaming, Server-Sent Events): the queue's
/// batches are written to the response body by the flusher, and the server's close becomes a last frame
/// followed by the end of the response. The client's messages do not come on this request: they are handed
/// in (<see cref="TryDeliverAsync"/>) by whoever receives them (the POSTs of HTTP streaming, or the
/// requests SSE makes up from its URL), and read in order by the receive loop like WebSocket messages.
/// </summary>
/// <remarks>
/// A transport without close frames: the close code and reason go out as the transport's own last frame
/// (<see cref="CloseFrame"/>), then the response ends. A client that stops reading fills the queue and is
/// cut off as a slow consumer like a WebSocket one; the abort after <c>Broadcast:CloseTimeout</c> ends a
/// response whose last write never completes.
/// </remarks>
internal abstract class ResponseStreamConnection : QueuedFrameWriter, IClientConnection
{
    private readonly Stream _body;
    private readonly Action _abortRequest;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<ReceivedMessage> _inbound;
    private readonly Task _writing;
    private int _aborted;
    private int _lost;
    private long _lastWriteTicks = Environment.TickCount64;

    protected ResponseStreamConnection(long id, IPAddress? remoteAddress, Stream body, CancellationToken requestAborted, Action abortRequest, TransportOptions options, FlushScheduler flusher, ITransportObserver observer, ILogger logger)
        : base(id, remoteAddress, options, flusher, observer, logger)
    {
        _body = body;
        _abortRequest = abortRequest;
        _inbound = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(InboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _abort.Token.Register(static state => ((ResponseStreamConnection)state!).AbortNow(), this);

        // The client went away (or Kestrel gave up on it): nothing more can be written or received.
        requestAborted.Register(static state => ((ResponseStreamConnection)state!).AbortNow(), this);
        _writing = _finished.Task;
    }

    /// <summary>Messages handed in and not read yet; past it the sender waits (one POST's lines at a time).</summary>
    public const int InboundCapacity = 256;

    /// <summary>The transport's name in metrics and logs (<c>broadcast.transport</c>).</summary>
    public abstract string Transport { get; }

    public IFrameSink Frames => this;

    CloseRequest? IClientConnection.CloseRequest => CloseRequest;

    /// <summary>No close frames come from the client: the end of its request is all it says.</summary>
    public int? PeerCloseStatus => null;

    /// <summary>True once the response was aborted (the client went, or the server gave up on it).</summary>
    public bool IsAborted => Volatile.Read(ref _aborted) == 1;

    /// <summary>Milliseconds (<see cref="Environment.TickCount64"/>) of the last write: keep-alive writes only into silence.</summary>
    public long LastWriteTicks => Volatile.Read(ref _lastWriteTicks);

    /// <summary>The frame the transport writes when nothing was written for a keep-alive period.</summary>
    protected abstract ReadOnlyMemory<byte> KeepAliveFrame { get; }

    public Task WhenWrittenAsync() => _writing;

    /// <summary>
    /// Hands in one whole message from the client (its bytes must stay unchanged), to be read by the receive
    /// loop after those before it. Waits while <see cref="InboundCapacity"/> messages wait; false once the
    /// connection is ending.
    /// </summary>
    public ValueTask<bool> TryDeliverAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        TryDeliverAsync(new ReceivedMessage(ReceiveOutcome.Message, message, IsBinary: false, BytesReceived: message.Length), cancellationToken);

    /// <summary>
    /// Refuses a message over <paramref name="maxBytes"/>: the receive loop counts it, and the connection closes
    /// with 1009 as a WebSocket would (its last frame says so).
    /// </summary>
    public async ValueTask RefuseTooBigAsync(int bytes, int maxBytes, CancellationToken cancellationToken)
    {
        await TryDeliverAsync(new ReceivedMessage(ReceiveOutcome.TooBig, BytesReceived: bytes), cancellationToken).ConfigureAwait(false);
        Close(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, $"message exceeds {maxBytes} bytes", drainFirst: false);
    }

    private async ValueTask<bool> TryDeliverAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (IsClosing)
        {
            return false;
        }

        try
        {
            await _inbound.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Ends the inbound side after what was handed in: the receive loop reads it, then waits for the end of the response.</summary>
    protected void CompleteInbound() => _inbound.Writer.TryComplete();

    public async ValueTask<ReceivedMessage> ReceiveAsync()
    {
        var reader = _inbound.Reader;
        while (true)
        {
            if (reader.TryRead(out var message))
            {
                if (message.Outcome == ReceiveOutcome.Message && IsClosing)
                {
                    // Closing: what still arrives is not handled (as on a WebSocket after its close frame).
                    continue;
                }

                return message;
            }

            bool more;
            try
            {
                more = await reader.WaitToReadAsync().ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                more = false;
            }

            if (!more)
            {
                // Only the end of the response closes the channel for good (inbound may end earlier: SSE).
                await _finished.Task.ConfigureAwait(false);
                return ReceivedMessage.Ended(Volatile.Read(ref _lost) == 1 ? "connection_lost" : CloseRequest?.Label ?? "connection_lost");
            }
        }
    }

    /// <summary>Queues the keep-alive frame if nothing was written for <paramref name="idleMilliseconds"/>.</summary>
    public void KeepAliveTick(long idleMilliseconds)
    {
        if (!IsClosing && Environment.TickCount64 - LastWriteTicks >= idleMilliseconds && Queue.State == OutboundQueue.QueueState.Empty)
        {
            TryEnqueue(KeepAliveFrame);
        }
    }

    protected override void AbortAfter(TimeSpan timeout)
    {
        try
        {
            _abort.CancelAfter(timeout);
        }
        catch (ObjectDisposedException)
        {
            // The connection already finished; nothing left to abort.
        }
    }

    protected override void OnQueueFinished() => _ = WriteCloseAsync();

    /// <summary>The transport's last frame for <paramref name="close"/> (code and reason), written before the response ends.</summary>
    protected abstract byte[] CloseFrame(CloseRequest close);

    /// <summary>Frames what is queued into one buffer, starting with <paramref name="buffer"/>; returns the batch's buffer (maybe larger), its length and what it counted.</summary>
    protected abstract (byte[] Buffer, int Length, int Publications, long OldestLiveTicks) TakeBatch(byte[] buffer);

    public override int Flush(ref byte[] buffer)
    {
        ContinueReplays();
        var (batchBuffer, length, publications, oldestLiveTicks) = TakeBatch(buffer);
        buffer = batchBuffer;
        if (length == 0 || IsAborted)
        {
            FinishFlush();
            return 0;
        }

        ValueTask write;
        try
        {
            write = _body.WriteAsync(buffer.AsMemory(0, length));
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            AbortNow();
            FinishFlush();
            return 0;
        }

        Volatile.Write(ref _lastWriteTicks, Environment.TickCount64);
        if (!write.IsCompleted)
        {
            // The client is not keeping up: finish this write on its own, with the buffer it holds.
            var pending = buffer;
            buffer = ArrayPool<byte>.Shared.Rent(FlushScheduler.BatchBytes);
            _ = CompleteWriteAsync(write, pending, publications, length, oldestLiveTicks);
            return FramesCarried(publications);
        }

        try
        {
            write.GetAwaiter().GetResult();
            Written(publications, length, oldestLiveTicks);
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            AbortNow();
        }

        FinishFlush();
        return FramesCarried(publications);
    }

    private async Task CompleteWriteAsync(ValueTask write, byte[] buffer, int publications, int bytes, long oldestLiveTicks)
    {
        try
        {
            await write.ConfigureAwait(false);
            Written(publications, bytes, oldestLiveTicks);
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            AbortNow();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        FinishFlush();
    }

    private async Task WriteCloseAsync()
    {
        try
        {
            if (!IsAborted && CloseRequest is { } close)
            {
                await _body.WriteAsync(CloseFrame(close)).ConfigureAwait(false);
                await _body.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            AbortNow();
        }
        finally
        {
            CompleteInbound();
            _finished.TrySetResult();
        }
    }

    /// <summary>Aborts the response now; the queue is closed so the session ends.</summary>
    private void AbortNow()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 1)
        {
            return;
        }

        try
        {
            _abortRequest();
        }
        catch (ObjectDisposedException)
        {
        }

        // Ends the session: nothing queued can reach the client any more.
        if (RequestClose(new CloseRequest(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "connection lost", DrainFirst: false, CloseTimeout) { PeerGone = true }))
        {
            Volatile.Write(ref _lost, 1);
        }

        CompleteInbound();
    }

    private static bool IsWriteFailure(Exception ex) =>
        ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException;

    public virtual void Dispose() => _abort.Dispose();
}
