using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace Broadcast.Client.Tests.Unit;

/// <summary>One fake connection: frames the client sent, and a queue of frames to hand it.</summary>
internal sealed class FakeTransport(FakeServer server) : IClientTransport
{
    private readonly Channel<string> _toClient = Channel.CreateUnbounded<string>();
    private readonly Channel<JsonElement> _fromClient = Channel.CreateUnbounded<JsonElement>();

    public Task ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        server.Connect(this);
        return Task.CompletedTask;
    }

    public Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(utf8);
        _fromClient.Writer.TryWrite(document.RootElement.Clone());
        return Task.CompletedTask;
    }

    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _toClient.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is null)
        {
            return null;
        }
    }

    public Task CloseAsync(CancellationToken cancellationToken)
    {
        _toClient.Writer.TryComplete();
        return Task.CompletedTask;
    }

    public void Abort() => _toClient.Writer.TryComplete(new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "Aborted (fake)."));

    /// <summary>The server side drops the connection.</summary>
    public void Drop() => Abort();

    public void Push(object frame) => _toClient.Writer.TryWrite(JsonSerializer.Serialize(frame));

    public async Task<JsonElement> NextSentAsync()
    {
        using var timeout = new CancellationTokenSource(TestClients.Timeout);
        return await _fromClient.Reader.ReadAsync(timeout.Token);
    }

    public void Dispose()
    {
    }
}
