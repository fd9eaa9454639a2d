using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace Broadcast.Client;

/// <summary>
/// One open transport with its reader and writer loops. Frames to send go through an unbounded queue
/// drained by a single writer, so callers enqueue in order without waiting on the socket (a
/// WebSocket allows only one send at a time). It lives until the transport ends; the client then
/// opens a new one.
/// </summary>
internal sealed class Connection : IDisposable
{
    private readonly IClientTransport _transport;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private Task _writer = Task.CompletedTask;
    private Exception? _error;

    public Connection(IClientTransport transport)
    {
        _transport = transport;
    }

    /// <summary>Completed by the <c>welcome</c> frame, or faulted if the connection ends or is refused first.</summary>
    public TaskCompletionSource<JsonElement> Welcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes (never faults) when both loops have ended.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Why the connection ended, when it did not end with a close frame.</summary>
    public Exception? Error => Volatile.Read(ref _error);

    /// <summary><see cref="Stopwatch"/> timestamp of the welcome, to tell stable connections from flapping ones.</summary>
    public long ConnectedAt { get; set; }

    public Task ConnectTransportAsync(Uri uri, CancellationToken cancellationToken) => _transport.ConnectAsync(uri, cancellationToken);

    public void Start(Action<Connection, JsonElement> onFrame)
    {
        _writer = WriteLoopAsync();
        Completion = Task.WhenAll(ReadLoopAsync(onFrame), _writer);
    }

    /// <summary>Queues a frame; false when the connection has ended (the caller resends on the next one).</summary>
    public bool Send(byte[] frame) => _outbound.Writer.TryWrite(frame);

    public void Abort(Exception? reason = null)
    {
        Interlocked.CompareExchange(ref _error, reason, null);
        _transport.Abort();
    }

    /// <summary>Sends what is queued, then a normal close; aborts if that takes longer than <paramref name="timeout"/>.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            _outbound.Writer.TryComplete();
            await _writer.WaitAsync(deadline.Token);
            await _transport.CloseAsync(deadline.Token);
            await Completion.WaitAsync(deadline.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing politely is best effort; the abort below ends it either way.
        }
        finally
        {
            _transport.Abort();
        }
    }

    private async Task ReadLoopAsync(Action<Connection, JsonElement> onFrame)
    {
        // Yield first so Start returns before the first frame is handled.
        await Task.Yield();
        try
        {
            while (await _transport.ReceiveAsync(CancellationToken.None) is { } text)
            {
                JsonElement frame;
                try
                {
                    using var document = JsonDocument.Parse(text);
                    frame = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // The server only sends JSON; a frame that is not cannot be attributed to anything.
                    continue;
                }

                if (frame.ValueKind == JsonValueKind.Object)
                {
                    onFrame(this, frame);
                }
            }
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _error, ex, null);
        }
        finally
        {
            _outbound.Writer.TryComplete();
            _transport.Abort();
            Welcome.TrySetException(Error ?? new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The server closed the connection before welcome."));
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync())
            {
                await _transport.SendAsync(frame, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            // A failed send means the connection is gone; aborting ends the reader too.
            Abort(ex);
        }
    }

    public void Dispose() => _transport.Dispose();
}
