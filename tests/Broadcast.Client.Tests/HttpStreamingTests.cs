using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>The .NET client over HTTP streaming, and its fallback from a WebSocket that cannot upgrade.</summary>
public sealed class HttpStreamingTests
{
    private static BroadcastClientOptions Options(Endpoint endpoint, IReadOnlyList<ClientTransport> transports, string name) => new()
    {
        UriProvider = endpoint.Next,
        Name = name,
        ReconnectBaseDelay = TimeSpan.FromMilliseconds(10),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        AckTimeout = TimeSpan.FromSeconds(10),
        Random = new Random(1),
        Transports = transports,
    };

    [Fact]
    public async Task A_client_over_http_streaming_publishes_subscribes_and_resumes_without_loss_after_its_stream_is_cut()
    {
        await using var server = await RunningServer.StartAsync();
        await using var streaming = new BroadcastClient(Options(new Endpoint(server.WebSocketUri), [ClientTransport.HttpStreaming], "streaming"));
        await streaming.ConnectAsync().Within();
        Assert.Equal(ClientTransport.HttpStreaming, streaming.Transport);
        await using var socket = await TestClients.ConnectAsync(server, "socket");
        var fromSocket = await streaming.SubscribeAsync("room");
        var fromStream = await socket.SubscribeAsync("room");

        var ack = await streaming.PublishAsync("room", "over a stream");
        Assert.Equal("over a stream", (await fromStream.NextAsync()).Message);
        await socket.PublishAsync("room", "to a stream 1");
        Assert.Equal("to a stream 1", (await fromSocket.NextAsync()).Message);

        // The stream is cut; what is published meanwhile arrives after the client resumed, once each, in order.
        Assert.True(streaming.AbortConnection());
        for (var i = 2; i <= 5; i++)
        {
            await socket.PublishAsync("room", $"to a stream {i}");
        }

        for (var i = 2; i <= 5; i++)
        {
            var publication = await fromSocket.NextAsync();
            Assert.Equal($"to a stream {i}", publication.Message);
            Assert.Equal(ack.Offset + i, publication.Offset);
        }
    }

    [Fact]
    public async Task Where_the_websocket_upgrade_is_refused_the_client_falls_back_to_http_streaming()
    {
        await using var server = await RunningServer.StartAsync();

        // An address whose upgrade is refused (404), as behind a proxy that breaks WebSockets; its /stream works.
        var refused = new Uri($"ws://{server.BaseAddress.Authority}/ws/refused");
        await using var client = new BroadcastClient(Options(new Endpoint(refused), [ClientTransport.WebSocket, ClientTransport.HttpStreaming], "fallback"));
        await client.ConnectAsync().Within();
        Assert.Equal(ClientTransport.HttpStreaming, client.Transport);
        await using var socket = await TestClients.ConnectAsync(server, "socket");
        var subscription = await client.SubscribeAsync("room");
        await socket.PublishAsync("room", "reached the fallback");
        Assert.Equal("reached the fallback", (await subscription.NextAsync()).Message);
    }
}
