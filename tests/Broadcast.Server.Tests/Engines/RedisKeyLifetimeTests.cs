using System.Net.Http.Headers;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using StackExchange.Redis;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// What the Redis engine leaves in Redis: nothing for a request that only reads, and nothing that outlives
/// the nodes that kept it, even when nobody reads it again; while the epoch a subscriber was given stays
/// the one its channel's publications carry.
/// </summary>
public sealed class RedisKeyLifetimeTests(RedisEngineUnderTest redis) : IClassFixture<RedisEngineUnderTest>
{
    private static string NewKeySpace() => "k" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<RedisKey[]> KeysAsync(ConnectionMultiplexer connection, string pattern)
    {
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: pattern))
        {
            keys.Add(key);
        }

        return [.. keys];
    }

    [Fact]
    public async Task Read_only_history_requests_leave_no_key_and_a_subscribers_epoch_stays_that_of_the_first_publication()
    {
        var keySpace = NewKeySpace();
        const string apiKey = "test-api-key-0123456789";
        await using var nodeA = await redis.StartAsync(new Dictionary<string, string?> { ["Broadcast:Api:Key"] = apiKey }, keySpace);
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var reader = await ExtendedClient.ConnectAsync(nodeA);

        for (var i = 0; i < 50; i++)
        {
            await reader.SendAsync(new { type = "history", id = $"h{i}", channel = $"never-used-{i}" });
            var reply = await reader.ReceiveAsync("history");
            Assert.Equal(0, reply.GetProperty("offset").GetInt64());
            Assert.Empty(reply.GetProperty("publications").EnumerateArray());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/channels/never-used-http/history"))
        {
            request.Headers.Add("X-API-Key", apiKey);
            using var response = await nodeA.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }

        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.Redis.Configuration))
        {
            Assert.Empty(await KeysAsync(connection, $"{keySpace}:*never-used*"));
        }

        // A subscriber of an empty channel (on node B) is given an epoch that is stored: a read-only request
        // on another node sees the same one, and so does the first publication, with no "unrecovered".
        var subscriber = await ExtendedClient.ConnectAsync(nodeB);
        var epoch = (await subscriber.SubscribeAsync("fresh")).GetProperty("epoch").GetString();
        await reader.SendAsync(new { type = "history", id = "h", channel = "fresh" });
        Assert.Equal(epoch, (await reader.ReceiveAsync("history")).GetProperty("epoch").GetString());
        await reader.PublishAsync("fresh", "first", "m1");
        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal((epoch, 1L), (pub.GetProperty("epoch").GetString(), pub.GetProperty("offset").GetInt64()));

        // Resuming later from that position recovers, on either node.
        await subscriber.DisposeAsync();
        await reader.PublishAsync("fresh", "second", "m2");
        await using var resumed = await ExtendedClient.ConnectAsync(nodeA, session: subscriber.Session);
        var again = await resumed.SubscribeAsync("fresh", since: new { epoch, offset = 1 });
        Assert.True(again.GetProperty("recovered").GetBoolean());
        Assert.Equal("second", (await resumed.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Presence_of_a_node_killed_with_kill_9_expires_without_anyone_reading_presence()
    {
        var keySpace = NewKeySpace();
        await using var doomed = ServerProcess.Start(new Dictionary<string, string>
        {
            ["Broadcast__Engine"] = "Redis",
            ["Broadcast__Redis__Configuration"] = redis.Redis.Configuration,
            ["Broadcast__Redis__Prefix"] = keySpace,
            ["Broadcast__Redis__PresenceTtl"] = "00:00:03",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Broadcast__Auth__AnonymousSubscribe"] = "*",
            ["Broadcast__Auth__AnonymousPublish"] = "*",
        });
        var doomedAddress = await doomed.WaitUntilListeningAsync();
        await using var survivor = await redis.StartAsync(new Dictionary<string, string?> { ["Broadcast:Redis:PresenceTtl"] = "00:00:03" }, keySpace);

        var onDoomed = await ExtendedClient.ConnectAsync(new Uri($"ws://{doomedAddress.Authority}/ws/events"));
        await onDoomed.SubscribeAsync("lonely");
        await onDoomed.SubscribeAsync("shared", id: "s2");
        await using var onSurvivor = await ExtendedClient.ConnectAsync(survivor);
        await onSurvivor.SubscribeAsync("shared");
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Redis.Configuration);
        var db = connection.GetDatabase();
        var lonely = (RedisKey)$"{keySpace}:{{lonely}}:presence";
        var shared = (RedisKey)$"{keySpace}:{{shared}}:presence";
        Assert.Equal(1, await db.HashLengthAsync(lonely));
        Assert.Equal(2, await db.HashLengthAsync(shared));

        await doomed.KillAsync();

        // Nobody asks for presence from here on: the keys of a channel no live node holds expire, and
        // the survivor's refresh drops the dead node's entry from the channel it shares.
        await Eventually.TrueAsync(
            async () => (await KeysAsync(connection, $"{keySpace}:{{lonely}}:presence*")).Length == 0 && await db.HashLengthAsync(shared) == 1,
            TimeSpan.FromSeconds(60),
            "the dead node's presence to expire");
        var remaining = JsonDocument.Parse((string)(await db.HashValuesAsync(shared))[0]!).RootElement;
        Assert.Equal(onSurvivor.PublicId, remaining.GetProperty("S").GetString());

        // The survivor's own entry is kept alive, and the key it lives in expires only if it stops.
        Assert.True(await db.KeyTimeToLiveAsync(shared) is { } ttl && ttl > TimeSpan.Zero);
        await onSurvivor.SendAsync(new { type = "presence", id = "p", channel = "shared" });
        Assert.Equal(1, (await onSurvivor.ReceiveAsync("presence")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_node_with_subscribers_keeps_its_channels_epoch_alive_though_nothing_is_published()
    {
        var keySpace = NewKeySpace();
        await using var node = await redis.StartAsync(keySpace: keySpace);
        await using var subscriber = await ExtendedClient.ConnectAsync(node);
        var epoch = (await subscriber.SubscribeAsync("quiet")).GetProperty("epoch").GetString();

        // As if a day went by without a publication: the channel's meta (its epoch) is about to expire.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Redis.Configuration);
        var db = connection.GetDatabase();
        var meta = (RedisKey)$"{keySpace}:{{quiet}}:meta";
        Assert.True(await db.KeyExpireAsync(meta, TimeSpan.FromSeconds(60)));

        // The node has a subscriber: it extends the meta (its first refresh round comes within 10 s of its start),
        // so the next publication keeps the epoch the subscriber was given, with no false "unrecovered".
        await Eventually.TrueAsync(async () => await db.KeyTimeToLiveAsync(meta) > TimeSpan.FromHours(1), TimeSpan.FromSeconds(40), "the meta to be kept alive");
        await using var publisher = await ExtendedClient.ConnectAsync(node);
        await publisher.PublishAsync("quiet", "at last", "q1");
        var pub = await subscriber.Client.ReceiveJsonAsync();
        Assert.Equal(("pub", epoch), (pub.GetProperty("type").GetString(), pub.GetProperty("epoch").GetString()));
    }
}
