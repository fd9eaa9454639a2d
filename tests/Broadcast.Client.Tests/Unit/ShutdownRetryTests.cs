namespace Broadcast.Client.Tests.Unit;

/// <summary>A publish the server refused because it shuts down was not published: the client sends it again after reconnecting.</summary>
public sealed class ShutdownRetryTests
{
    [Fact]
    public async Task A_publish_refused_with_shutting_down_is_sent_again_with_the_same_id_after_the_reconnect()
    {
        var server = new FakeServer();
        await using var client = new BroadcastClient(new BroadcastClientOptions
        {
            Uri = new Uri("ws://fake/ws/events"),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
        })
        { TransportFactory = server.CreateTransport };

        var connecting = client.ConnectAsync();
        var first = await server.AcceptAsync("session-one");
        await connecting.Within();
        var publishing = client.PublishAsync("room", "during the drain");
        var publish = await first.NextSentAsync();
        first.Push(new { type = "error", id = publish.String("id"), channel = "room", code = "shutting_down", error = "nothing was published" });
        first.Drop();

        var second = await server.NextConnectionAsync();
        await second.NextSentAsync();
        second.Push(new { type = "welcome", session = "session-one", resumed = true, protocol = 2 });
        var retry = await second.NextSentAsync();
        Assert.Equal(publish.GetRawText(), retry.GetRawText());
        second.Push(new { type = "ack", id = retry.String("id"), channel = "room", epoch = "e2", offset = 1, duplicate = false });

        var result = await publishing.Within();
        Assert.Equal((1L, false), (result.Offset, result.Duplicate));
    }
}
