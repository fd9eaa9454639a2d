using System.Net;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>A Redis outage is loud and recoverable: errors while it lasts, nothing lost silently, no restart needed.</summary>
public sealed class RedisOutageTests
{
    private const string ApiKey = "outage-test-key-0123456789";

    private static Dictionary<string, string?> Settings(RedisServer redis) => new()
    {
        ["Broadcast:Engine"] = "Redis",
        ["Broadcast:Redis:Configuration"] = redis.Configuration,
        ["Broadcast:Redis:OperationTimeout"] = "00:00:01",
        ["Broadcast:Api:Key"] = ApiKey,
    };

    [Fact]
    public async Task Publishes_fail_loudly_during_the_outage_and_every_acknowledged_one_arrives_once_after_it()
    {
        const int total = 300;
        await using var redis = await RedisServer.StartAsync(persistent: true);
        await using var node = await RunningServer.StartAsync(Settings(redis));
        await using var publisher = await ExtendedClient.ConnectAsync(node);
        await using var subscriber = await ExtendedClient.ConnectAsync(node);
        await using var legacy = await node.ConnectAsync();
        await subscriber.SubscribeAsync("orders");

        var acked = 0;
        var errors = 0;
        var outageStarted = new TaskCompletionSource();
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= total; i++)
            {
                while (true)
                {
                    await publisher.SendAsync(new { type = "publish", id = $"order-{i}", channel = "orders", message = $"order {i}" });
                    var reply = await publisher.Client.ReceiveJsonAsync(TimeSpan.FromSeconds(30));
                    if (reply.GetProperty("type").GetString() == "ack")
                    {
                        Volatile.Write(ref acked, i);
                        break;
                    }

                    Assert.Contains(reply.GetProperty("code").GetString(), new[] { "engine_unavailable", "publish_unknown" });
                    Interlocked.Increment(ref errors);
                    // A client backs off before retrying; the retry reuses the id, so it can never double-publish.
                    await Task.Delay(50);
                }

                if (i == 100)
                {
                    await outageStarted.Task;
                }
            }
        });

        await Eventually.TrueAsync(() => Volatile.Read(ref acked) >= 100, TimeSpan.FromSeconds(30), "100 acknowledged publishes");
        await redis.StopAsync();
        outageStarted.SetResult();

        // Visible: errors to the publisher, readiness 503, HTTP publish 503 — and connections stay open.
        await Eventually.TrueAsync(() => Volatile.Read(ref errors) > 0, TimeSpan.FromSeconds(30), "the publisher to be told of the outage");
        await Eventually.TrueAsync(
            async () => (await node.Http.GetAsync("/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30),
            "/ready to report 503");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/orders/publish") { Content = JsonContent.Create(new { message = "during outage" }) })
        {
            request.Headers.Add("X-API-Key", ApiKey);
            using var response = await node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, legacy.Socket.State);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, subscriber.Client.Socket.State);

        // Back, with its data: the node reconnects and resubscribes by itself.
        await redis.StartAgainAsync();
        await publishing;
        Assert.True((await node.Http.GetAsync("/ready")).IsSuccessStatusCode);

        var offsets = new List<long>();
        var messages = new List<string>();
        for (var i = 1; i <= total; i++)
        {
            var pub = await subscriber.ReceiveAsync("pub");
            offsets.Add(pub.GetProperty("offset").GetInt64());
            messages.Add(pub.GetProperty("message").GetString()!);
        }

        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), offsets);
        Assert.Equal(Enumerable.Range(1, total).Select(i => $"order {i}"), messages);
    }

    [Fact]
    public async Task When_Redis_comes_back_empty_subscribers_are_told_what_cannot_be_recovered()
    {
        await using var redis = await RedisServer.StartAsync(persistent: false);
        await using var node = await RunningServer.StartAsync(Settings(redis));
        await using var publisher = await ExtendedClient.ConnectAsync(node);
        await using var subscriber = await ExtendedClient.ConnectAsync(node);
        var oldEpoch = (await subscriber.SubscribeAsync("feed")).GetProperty("epoch").GetString();
        await publisher.PublishAsync("feed", "before", "1");
        Assert.Equal("before", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());

        await redis.StopAsync();
        await redis.StartAgainAsync();
        await Eventually.TrueAsync(
            async () => (await node.Http.GetAsync("/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30),
            "the node to reconnect");

        JsonElement ack = default;
        await Eventually.TrueAsync(
            async () =>
            {
                await publisher.SendAsync(new { type = "publish", id = "2", channel = "feed", message = "after" });
                ack = await publisher.Client.ReceiveJsonAsync();
                return ack.GetProperty("type").GetString() == "ack";
            },
            TimeSpan.FromSeconds(30),
            "publishing to work again");
        Assert.NotEqual(oldEpoch, ack.GetProperty("epoch").GetString());

        var notice = await subscriber.ReceiveAsync("unrecovered");
        Assert.Equal("feed", notice.GetProperty("channel").GetString());
        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal("after", pub.GetProperty("message").GetString());
        Assert.Equal(ack.GetProperty("epoch").GetString(), pub.GetProperty("epoch").GetString());
    }
}
