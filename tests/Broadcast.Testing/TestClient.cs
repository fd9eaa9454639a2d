using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Xunit;

namespace Broadcast.Testing;

/// <summary>One frame as a client saw it (<paramref name="Bytes"/>: its payload as received, for binary frames).</summary>
public sealed record ReceivedFrame(WebSocketMessageType Type, string Text, WebSocketCloseStatus? CloseStatus, string? CloseDescription, byte[]? Bytes = null)
{
    public JsonElement Json => JsonDocument.Parse(Text).RootElement.Clone();
}

/// <summary>
/// A real WebSocket client (System.Net.WebSockets.ClientWebSocket) that reads continuously in the
/// background, so tests can wait for the next frame with a timeout.
/// </summary>
public sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly Channel<ReceivedFrame> _frames = Channel.CreateUnbounded<ReceivedFrame>();
    private readonly Task _reader;

    private TestClient(ClientWebSocket socket)
    {
        Socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public ClientWebSocket Socket { get; }

    public static async Task<TestClient> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return new TestClient(socket);
    }

    /// <summary>Connects from the local address <paramref name="source"/> (127.0.0.2, …): another client address.</summary>
    public static async Task<TestClient> ConnectFromAsync(Uri uri, System.Net.IPAddress source, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        using var invoker = new HttpMessageInvoker(SourceAddress.Handler(source));
        await socket.ConnectAsync(uri, invoker, timeout.Token);
        return new TestClient(socket);
    }

    public Task SendTextAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task SendMessageAsync(string message) => SendTextAsync(JsonSerializer.Serialize(new { message }));

    public Task SendBinaryAsync(byte[] payload) =>
        Socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    public async Task<ReceivedFrame> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame arrived within {timeout ?? DefaultTimeout}.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The connection ended without a close frame.");
        }
    }

    public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? timeout = null)
    {
        var frame = await ReceiveAsync(timeout);
        Assert.Equal(WebSocketMessageType.Text, frame.Type);
        return frame.Json;
    }

    /// <summary>Reads until the close frame; data frames before it are returned too.</summary>
    public async Task<(ReceivedFrame Close, List<ReceivedFrame> Before)> ReceiveUntilCloseAsync(TimeSpan? timeout = null)
    {
        var before = new List<ReceivedFrame>();
        while (true)
        {
            var frame = await ReceiveAsync(timeout);
            if (frame.Type == WebSocketMessageType.Close)
            {
                return (frame, before);
            }

            before.Add(frame);
        }
    }

    /// <summary>True when the server ended the connection, with or without a close frame.</summary>
    public Task Completion => _reader;

    public async Task CloseAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _frames.Writer.TryWrite(new ReceivedFrame(WebSocketMessageType.Close, "", result.CloseStatus, result.CloseStatusDescription));
                    // Answer the close as browsers do, completing the handshake.
                    if (Socket.State == WebSocketState.CloseReceived)
                    {
                        await Socket.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    var bytes = result.MessageType == WebSocketMessageType.Binary ? message.ToArray() : null;
                    _frames.Writer.TryWrite(new ReceivedFrame(result.MessageType, Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length), null, null, bytes));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection was aborted; readers see the channel complete.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        Socket.Abort();
        await _reader;
        Socket.Dispose();
    }
}
