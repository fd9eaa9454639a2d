using System.Globalization;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// A legacy client publishing through the Redis engine does not wait for each message's round trip
/// before reading the next: its messages still arrive complete and in order, and when Redis is gone every
/// one of them is answered with <c>engine_unavailable</c>.
/// </summary>
public sealed class RedisLegacyPublishTests
{
    [Fact]
    public async Task A_burst_from_one_legacy_publisher_arrives_complete_and_in_order()
    {
        const int messages = 3000;
        await using var redis = await RedisServer.StartAsync();
        var engine = new Dictionary<string, string?>
        {
            ["Broadcast:Engine"] = "Redis",
            ["Broadcast:Redis:Configuration"] = redis.Configuration,
        };
        await using var server = await RunningServer.StartAsync(engine);
        await using var publisher = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        // Sent back to back, many more than the publishes the server lets wait on Redis at once.
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < messages; i++)
            {
                await publisher.SendMessageAsync(i.ToString(CultureInfo.InvariantCulture));
            }
        });

        for (var i = 0; i < messages; i++)
        {
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());
        }

        await sending;
    }

    [Fact]
    public async Task With_Redis_gone_every_legacy_message_is_answered_unknown_while_in_flight_then_engine_unavailable()
    {
        const int messages = 20;
        await using var redis = await RedisServer.StartAsync();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Engine"] = "Redis",
            ["Broadcast:Redis:Configuration"] = redis.Configuration,
        });
        await using var publisher = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("before");
        Assert.Equal("before", (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());

        await redis.StopAsync();
        for (var i = 0; i < messages; i++)
        {
            await publisher.SendMessageAsync($"lost {i}");
        }

        // A message already on its way when Redis died has an unknown outcome (publish_unknown); once the node
        // knows Redis is gone nothing more is sent (engine_unavailable), and it never goes back to "unknown".
        var codes = new List<string?>();
        for (var i = 0; i < messages; i++)
        {
            codes.Add((await publisher.ReceiveJsonAsync(TimeSpan.FromSeconds(30))).GetProperty("code").GetString());
        }

        Assert.All(codes, code => Assert.Contains(code, new[] { "publish_unknown", "engine_unavailable" }));
        var firstUnavailable = codes.IndexOf("engine_unavailable");
        Assert.True(firstUnavailable >= 0, $"the node never learned that Redis is gone: {string.Join(", ", codes)}");
        Assert.DoesNotContain("publish_unknown", codes.Skip(firstUnavailable));

        // Answered one by one, and the connection stays open for when Redis is back.
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, publisher.Socket.State);
    }
}
