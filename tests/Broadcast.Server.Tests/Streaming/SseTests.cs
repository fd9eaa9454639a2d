using System.Net;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>Server-Sent Events: receive-only clients with nothing but a URL, resuming by Last-Event-ID.</summary>
public sealed class SseTests
{
    [Fact]
    public async Task An_event_source_gets_publications_as_message_events_whose_id_carries_every_channels_position()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sse = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=room&channel=news");
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("welcome", (await sse.ReceiveAsync("welcome")).Json.GetProperty("type").GetString());
        var room = await sse.ReceiveAsync("subscribed");
        var news = await sse.ReceiveAsync("subscribed");
        var roomEpoch = room.Json.GetProperty("epoch").GetString();
        var newsEpoch = news.Json.GetProperty("epoch").GetString();
        Assert.Equal($"room={roomEpoch}:0,news={newsEpoch}:0", news.Id);

        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await publisher.PublishAsync("news", "headline", "n1");
        await publisher.PublishAsync("room", "hello", "r1");
        var first = await sse.ReceiveAsync("message");
        Assert.Equal("headline", first.Json.GetProperty("message").GetString());
        Assert.Equal($"room={roomEpoch}:0,news={newsEpoch}:1", first.Id);
        var second = await sse.ReceiveAsync("message");
        Assert.Equal($"room={roomEpoch}:1,news={newsEpoch}:1", second.Id);
    }

    [Fact]
    public async Task A_reconnect_with_last_event_id_resumes_every_channel_without_loss_or_duplicate()
    {
        await using var server = await RunningServer.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        string lastEventId;
        await using (var sse = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=a&channel=b"))
        {
            await sse.ReceiveAsync("welcome");
            await sse.ReceiveAsync("subscribed");
            await sse.ReceiveAsync("subscribed");
            await publisher.PublishAsync("a", "a1", "a1");
            await publisher.PublishAsync("b", "b1", "b1");
            await sse.ReceiveAsync("message");
            await sse.ReceiveAsync("message");
            lastEventId = sse.LastEventId!;
        }

        await publisher.PublishAsync("a", "a2", "a2");
        await publisher.PublishAsync("b", "b2", "b2");
        await publisher.PublishAsync("a", "a3", "a3");

        // What a browser does by itself: the same URL, and the last id it saw.
        await using var again = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=a&channel=b", lastEventId);
        await again.ReceiveAsync("welcome");
        var received = new List<string>();
        var subscribed = 0;
        while (received.Count < 3)
        {
            var next = await again.ReceiveAsync();
            if (next.Event == "subscribed")
            {
                Assert.True(next.Json.GetProperty("recovered").GetBoolean());
                subscribed++;
                continue;
            }

            Assert.Equal("message", next.Event);
            received.Add(next.Json.GetProperty("message").GetString()!);
        }

        Assert.Equal(2, subscribed);
        Assert.Equal(["a2", "a3", "b2"], received.Order(StringComparer.Ordinal));
        Assert.Equal(["a2", "a3"], received.Where(m => m[0] == 'a'));
        await publisher.PublishAsync("a", "a4", "a4");
        Assert.Equal("a4", (await again.ReceiveAsync("message")).Json.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_position_that_cannot_be_recovered_is_said_in_a_subscribed_event_and_the_stream_goes_on_live()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sse = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=room&since=room%3Dfeedfacefeedface%3A5");
        await sse.ReceiveAsync("welcome");
        var subscribed = await sse.ReceiveAsync("subscribed");
        Assert.False(subscribed.Json.GetProperty("recovered").GetBoolean());
        var epoch = subscribed.Json.GetProperty("epoch").GetString();
        Assert.Equal($"room={epoch}:0", subscribed.Id);
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await publisher.PublishAsync("room", "live", "1");
        Assert.Equal($"room={epoch}:1", (await sse.ReceiveAsync("message")).Id);
    }

    [Theory]
    [InlineData("/sse", "channel_required")]
    [InlineData("/sse?channel=room&since=garbage", "since_invalid")]
    public async Task A_url_without_channels_or_with_a_bad_position_is_refused(string url, string code)
    {
        await using var server = await RunningServer.StartAsync();
        var (client, response) = await SseClient.TryOpenAsync(server.BaseAddress, url);
        Assert.Null(client);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Errors_are_named_events_that_do_not_look_like_a_lost_connection()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sse = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=bad%20name");
        await sse.ReceiveAsync("welcome");
        var error = await sse.ReceiveAsync("broadcast-error");
        Assert.Equal("channel_invalid", error.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Event_streams_count_against_the_per_address_connection_limit()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxConnectionsPerAddress"] = "1" });
        await using var first = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=room");
        var (refused, response) = await SseClient.TryOpenAsync(server.BaseAddress, "/sse?channel=room");
        Assert.Null(refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        await first.ReceiveAsync("welcome");
    }

    [Fact]
    public async Task An_event_stream_that_is_never_read_is_ended_with_a_close_event_saying_1008()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:OutboundQueueCapacity"] = "16",
            ["Broadcast:CloseTimeout"] = "00:01:00",
        });
        using var stalled = await StalledStream.OpenAsync(server.BaseAddress, "/sse?channel=room", "event: subscribed");
        await using var watcher = await ExtendedClient.ConnectAsync(server);
        await watcher.SubscribeAsync("room");
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        var stalledSession = server.Registry.All().Single(s => s.Frames is Broadcast.Server.Transport.ServerSentEvents.SseConnection);
        var payload = new string('p', 8 * 1024);
        var sent = 0;
        while (!stalledSession.Frames.IsClosing)
        {
            Assert.True(sent < 5000, "the stalled event stream was never cut off");
            await publisher.PublishAsync("room", $"{++sent}:{payload}", $"p{sent}");
            Assert.Equal(sent, (await watcher.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
        }

        var rest = await stalled.ReadToEndAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("event: close\ndata: {\"type\":\"close\",\"code\":1008,\"reason\":\"slow consumer: outbound queue overflow\"}\n\n", rest, StringComparison.Ordinal);
        await server.WaitForConnectionCountAsync(2);
    }
}
