using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// What a publisher is told when Redis fails under its publish (issue #12, finding 1): <c>publish_unknown</c>
/// when Redis may have run it (it stalled with the command sent), which a retry with the same id settles;
/// <c>engine_unavailable</c> ("nothing was published") only when the server knows it was never sent.
/// </summary>
public sealed class RedisOutcomeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Settings(RedisServer redis) => new()
    {
        ["Broadcast:Engine"] = "Redis",
        ["Broadcast:Redis:Configuration"] = redis.Configuration,
        ["Broadcast:Redis:OperationTimeout"] = "00:00:00.500",
    };

    [Fact]
    public async Task A_publish_sent_into_a_stall_is_answered_publish_unknown_and_its_retry_finds_it_published_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var node = await RunningServer.StartAsync(Settings(redis));
        await using var publisher = await ExtendedClient.ConnectAsync(node);
        await using var subscriber = await ExtendedClient.ConnectAsync(node);
        await using var legacy = await node.ConnectAsync();
        await subscriber.SubscribeAsync("orders");
        await publisher.PublishAsync("orders", "first", "o-1");

        JsonElement answer;
        JsonElement legacyAnswer;
        redis.Pause();
        try
        {
            await publisher.SendAsync(new { type = "publish", id = "o-2", channel = "orders", message = "second" });
            answer = await publisher.ReceiveAsync("error");
            await legacy.SendMessageAsync("legacy during the stall");
            legacyAnswer = await legacy.ReceiveJsonAsync(Generous);
        }
        finally
        {
            redis.Resume();
        }

        Assert.Equal(("o-2", "publish_unknown"), (answer.GetProperty("id").GetString(), answer.GetProperty("code").GetString()));
        Assert.Equal("publish_unknown", legacyAnswer.GetProperty("code").GetString());
        Assert.Equal(["code", "error"], legacyAnswer.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        // Redis ran it when it resumed: the retry is acknowledged with its offset as a duplicate, and it was delivered once.
        JsonElement retry = default;
        await Eventually.TrueAsync(
            async () =>
            {
                await publisher.SendAsync(new { type = "publish", id = "o-2", channel = "orders", message = "second" });
                retry = await publisher.Client.ReceiveJsonAsync(Generous);
                return retry.GetProperty("type").GetString() == "ack";
            },
            Generous,
            "the retry to be acknowledged");
        Assert.Equal((2L, true), (retry.GetProperty("offset").GetInt64(), retry.GetProperty("duplicate").GetBoolean()));
        Assert.Equal("first", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
        Assert.Equal("second", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_publish_while_Redis_is_down_is_answered_engine_unavailable_and_nothing_was_published()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var node = await RunningServer.StartAsync(Settings(redis));
        await using var publisher = await ExtendedClient.ConnectAsync(node);
        await publisher.PublishAsync("orders", "first", "o-1");
        await redis.KillAsync();
        await Eventually.TrueAsync(async () => (await node.Http.GetAsync("/ready")).StatusCode == System.Net.HttpStatusCode.ServiceUnavailable, Generous, "the node to notice");

        await publisher.SendAsync(new { type = "publish", id = "o-2", channel = "orders", message = "never" });
        Assert.Equal("engine_unavailable", (await publisher.ReceiveAsync("error")).GetProperty("code").GetString());
    }
}
