namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// The upgraded connection's stream, shared by two writers: the <see cref="System.Net.WebSockets.WebSocket"/>
/// (control frames: pong, keep-alive ping, close) and the connection's writer (data frames, framed by us
/// and written many at a time). Every write holds one lock, and the WebSocket writes each frame in a single
/// call, so frames from the two never interleave.
/// </summary>
/// <remarks>
/// Disposing the upgraded stream does not interrupt a read or write that is already waiting (for a peer
/// that stopped reading, or vanished). When the WebSocket disposes it because it aborted (keep-alive
/// timeout, or the server cutting a slow consumer), <see cref="OnAborted"/> aborts the whole HTTP
/// connection, which does. An abort drops whatever Kestrel's output buffer still holds, so when the WebSocket
/// aborted right after sending its own close frame (it rejected a frame: 1007, 1002), the writer first lets
/// that close frame reach the client (<see cref="WaitForPeerCloseAsync"/>).
/// </remarks>
internal sealed class SharedWriteStream(Stream inner) : Stream
{
    // FIN and the close opcode: the first byte of a close frame (the server's frames are never masked).
    private const byte CloseFrameStart = 0x88;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _closeFrameWritten;

    // Touched by one reader at a time: the runtime's WebSocket, then (once it aborted) WaitForPeerCloseAsync.
    private readonly PeerCloseScanner _inbound = new();

    /// <summary>Called when the stream is disposed; decides whether the connection must be aborted.</summary>
    public Action? OnAborted { get; set; }

    /// <summary>
    /// Called when a close frame starts its write, before it waits for the lock: a data write the client never
    /// lets complete may hold the lock, and the close frame behind it, for good (see <see cref="WebSocketWriter"/>).
    /// </summary>
    public Action? OnCloseFrame { get; set; }

    /// <summary>
    /// True once a close frame went to the output. Only the WebSocket writes close frames, each in one write
    /// of its own (the connection's writer writes data frames only), so the first byte of a write tells.
    /// </summary>
    public bool CloseFrameWritten => _closeFrameWritten;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Every read the runtime's WebSocket makes: the bytes are also walked for the client's close (<see cref="PeerCloseScanner"/>).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _inbound.FindsClose(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!buffer.IsEmpty && buffer.Span[0] == CloseFrameStart)
        {
            OnCloseFrame?.Invoke();
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (!buffer.IsEmpty && buffer.Span[0] == CloseFrameStart)
            {
                _closeFrameWritten = true;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Once the WebSocket stopped reading (it aborted after sending its close frame): reads what the client still
    /// sends, unread, until its close frame (its answer: ours reached it) or the end of the connection, for at most
    /// <paramref name="timeout"/>. True if the client answered or went; false if the time ran out.
    /// </summary>
    public async Task<bool> WaitForPeerCloseAsync(TimeSpan timeout)
    {
        if (_inbound.SawClose)
        {
            // It came already (read ahead by the WebSocket before it gave up).
            return true;
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var read = await inner.ReadAsync(buffer, deadline.Token).ConfigureAwait(false);
                if (read == 0 || _inbound.FindsClose(buffer.AsSpan(0, read)))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is gone (reset, or aborted by the keep-alive): nothing left to wait for.
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        _inbound.FindsClose(buffer.AsSpan(offset, read));
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Writes are asynchronous only.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            OnAborted?.Invoke();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        OnAborted?.Invoke();
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
