using Broadcast.Testing;

namespace Broadcast.Server.Tests.Channels;

/// <summary>When a channel's history is lost its epoch changes, and a resume says so instead of replaying nothing silently.</summary>
public sealed class EpochTests
{
    private static object Position(string epoch, long offset) => new { epoch, offset };

    [Fact]
    public async Task After_a_server_restart_the_epoch_changes_and_resume_says_not_recovered()
    {
        string epoch;
        await using (var first = await RunningServer.StartAsync())
        await using (var client = await ExtendedClient.ConnectAsync(first))
        {
            epoch = (await client.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
            await client.PublishAsync("room", "before restart", "1");
        }

        await using var second = await RunningServer.StartAsync();
        await using var returning = await ExtendedClient.ConnectAsync(second);
        var reply = await returning.SubscribeAsync("room", since: Position(epoch, 1));
        Assert.False(reply.GetProperty("recovered").GetBoolean());
        Assert.NotEqual(epoch, reply.GetProperty("epoch").GetString());
    }

    [Fact]
    public async Task After_Redis_loses_its_data_the_epoch_changes_and_resume_says_not_recovered()
    {
        var redis = new RedisEngineUnderTest();
        await redis.InitializeAsync();
        try
        {
            await using var server = await redis.StartAsync();
            await using var client = await ExtendedClient.ConnectAsync(server);
            var epoch = (await client.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
            await client.PublishAsync("room", "before the restart", "1");

            // Restarted without persistence: every key is gone. The node reconnects by itself.
            await redis.Redis.StopAsync();
            await redis.Redis.StartAgainAsync();
            await Eventually.TrueAsync(
                async () => (await server.Http.GetAsync("/ready")).IsSuccessStatusCode,
                TimeSpan.FromSeconds(30),
                "the node to reconnect to Redis");

            await using var returning = await ExtendedClient.ConnectAsync(server);
            var reply = await returning.SubscribeAsync("room", since: Position(epoch, 1));
            Assert.False(reply.GetProperty("recovered").GetBoolean());
            Assert.NotEqual(epoch, reply.GetProperty("epoch").GetString());
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
