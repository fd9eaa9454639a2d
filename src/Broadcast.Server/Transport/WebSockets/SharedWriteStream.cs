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
/// connection, which does.
/// </remarks>
internal sealed class SharedWriteStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Called when the stream is disposed; decides whether the connection must be aborted.</summary>
    public Action? OnAborted { get; set; }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

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
