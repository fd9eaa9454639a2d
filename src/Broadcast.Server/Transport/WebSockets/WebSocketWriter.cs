using System.Buffers;
using System.Net;
using System.Net.WebSockets;

namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// The outbound side of a WebSocket that ASP.NET Core accepted (<c>Broadcast:WebSocketStack</c> =
/// <c>Kestrel</c>, and WebSockets over HTTP/2): data frames framed by us and written many at a time to the
/// upgraded stream; control frames and the close handshake stay with the runtime's <see cref="WebSocket"/>.
/// </summary>
internal sealed class WebSocketWriter : QueuedFrameWriter
{
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SharedWriteStream? _output;

    internal WebSocketWriter(long id, WebSocket socket, SharedWriteStream? output, IPAddress? remoteAddress, TransportOptions options, FlushScheduler flusher, ITransportObserver observer, ILogger logger)
        : base(id, remoteAddress, options, flusher, observer, logger)
    {
        _output = output;
        Socket = socket;
        _abort.Token.Register(static state => ((WebSocket)state!).Abort(), socket);
        if (output is not null)
        {
            output.OnCloseFrame = ArmCloseDeadline;
        }
    }

    internal WebSocket Socket { get; }

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

    /// <summary>
    /// A close frame is on its way. When it is the runtime WebSocket's own (it rejected a frame: 1007, 1002), no close
    /// request of the server's armed the close deadline; and a client that stopped reading holds that close frame
    /// behind the data write it never lets finish, so with keep-alive off nothing else would ever end the connection.
    /// The server's own closes armed it already (re-arming would push their deadline back).
    /// </summary>
    private void ArmCloseDeadline()
    {
        if (CloseRequest is null)
        {
            AbortAfter(CloseTimeout);
        }
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

    protected override void OnQueueFinished() => _finished.TrySetResult();

    /// <summary>
    /// Waits until every frame the connection will ever send was written (the queue was completed by
    /// <see cref="QueuedFrameWriter.RequestClose"/> and flushed), then sends the close frame the server asked for, or,
    /// when the WebSocket already sent one of its own and aborted, waits (bounded) until it reached the client. Never
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
            else if (_output is { CloseFrameWritten: true } output && Socket.State == WebSocketState.Aborted && !_abort.IsCancellationRequested)
            {
                // The WebSocket sent its close frame (it rejected a frame: 1007, 1002) and aborted. Disposing it
                // next aborts the connection, which would drop the close frame if it still waits in Kestrel's
                // output behind frames the client has not read yet: first let it arrive, within the close timeout.
                await output.WaitForPeerCloseAsync(CloseTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer vanished or the socket was aborted; the receive loop sees it too and cleans up.
            Abort();
        }
    }

    public override int Flush(ref byte[] buffer)
    {
        ContinueReplays();
        if (_output is null)
        {
            // Sent frame by frame in the background: not a batch the rounds can weigh.
            _ = SendOneByOneAsync();
            return 0;
        }

        var batch = new FrameBatch(buffer) { Binary = SendsBinary };
        Queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        buffer = batch.Buffer;
        if (batch.Length == 0)
        {
            FinishFlush();
            return 0;
        }

        // Once the WebSocket has sent a close frame (e.g. it rejected a bad frame), no data may follow.
        if (Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            FinishFlush();
            return 0;
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
            return 0;
        }

        if (!write.IsCompleted)
        {
            // The client is not keeping up: finish this write on its own, with the buffer it holds.
            var pending = buffer;
            buffer = ArrayPool<byte>.Shared.Rent(FlushScheduler.BatchBytes);
            _ = CompleteWriteAsync(write, pending, batch.Publications, batch.Length, batch.OldestLiveTicks);
            return FramesCarried(batch.Publications);
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
        return FramesCarried(batch.Publications);
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
        Queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        try
        {
            foreach (var frame in frames)
            {
                if (Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    break;
                }

                await Socket.SendAsync(frame.Bytes, SendsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }

            Written(batch.Publications, batch.Length, batch.OldestLiveTicks);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
        }

        FinishFlush();
    }

    internal void DisposeResources() => _abort.Dispose();
}
