using Broadcast.Testing;

namespace Broadcast.Server.Tests.Channels;

/// <summary>Who is on a channel: a query with a count, and join/leave events for those who ask.</summary>
public abstract class PresenceTests(EngineUnderTest engine)
{
    [Fact]
    public async Task Presence_lists_subscribers_with_their_names_and_counts_legacy_clients_too()
    {
        await using var server = await engine.StartAsync();
        await using var ana = await ExtendedClient.ConnectAsync(server, name: "ana");
        await ana.SubscribeAsync("events", presence: true);
        await using var bo = await ExtendedClient.ConnectAsync(server, name: "bo");
        await bo.SubscribeAsync("events");
        await using var legacy = await server.ConnectAsync();

        // A join is stored before it is told, so once ana has seen both, the list holds them (on Redis the legacy
        // client's join is stored a moment after its connection counts: asking before that found two).
        var joined = new HashSet<string>();
        while (!(joined.Contains(bo.PublicId) && joined.Contains("legacy")))
        {
            var join = await ana.ReceiveAsync("join");
            joined.Add(join.GetProperty("name").ValueKind == System.Text.Json.JsonValueKind.Null ? "legacy" : join.GetProperty("session").GetString()!);
        }

        await ana.SendAsync(new { type = "presence", id = "p", channel = "events" });
        var presence = await ana.ReceiveAsync("presence");
        Assert.Equal(3, presence.GetProperty("count").GetInt32());
        var members = presence.GetProperty("members").EnumerateArray().ToList();
        Assert.Contains(members, m => m.GetProperty("session").GetString() == ana.PublicId && m.GetProperty("name").GetString() == "ana");
        Assert.Contains(members, m => m.GetProperty("session").GetString() == bo.PublicId && m.GetProperty("name").GetString() == "bo");
        Assert.Single(members, m => m.GetProperty("name").ValueKind == System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task Subscribers_that_ask_for_presence_see_others_join_and_leave()
    {
        await using var server = await engine.StartAsync();
        await using var watcher = await ExtendedClient.ConnectAsync(server, name: "watcher");
        await watcher.SubscribeAsync("room", presence: true);

        var visitor = await ExtendedClient.ConnectAsync(server, name: "visitor");
        await visitor.SubscribeAsync("room");
        var join = await watcher.ReceiveAsync("join");
        Assert.Equal("room", join.GetProperty("channel").GetString());
        Assert.Equal(visitor.PublicId, join.GetProperty("session").GetString());
        Assert.Equal("visitor", join.GetProperty("name").GetString());

        // Leaving by disconnecting counts as leaving.
        visitor.Client.Socket.Abort();
        await visitor.DisposeAsync();
        var leave = await watcher.ReceiveAsync("leave");
        Assert.Equal(visitor.PublicId, leave.GetProperty("session").GetString());

        await watcher.SendAsync(new { type = "presence", id = "p", channel = "room" });
        Assert.Equal(1, (await watcher.ReceiveAsync("presence")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Without_asking_for_presence_a_subscriber_gets_no_join_or_leave_frames()
    {
        await using var server = await engine.StartAsync();
        await using var quiet = await ExtendedClient.ConnectAsync(server);
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await quiet.SubscribeAsync("room");
        await using (var visitor = await ExtendedClient.ConnectAsync(server))
        {
            await visitor.SubscribeAsync("room");
        }

        await publisher.PublishAsync("room", "first frame you see", "1");
        Assert.Equal("first frame you see", (await quiet.ReceiveAsync("pub")).GetProperty("message").GetString());
    }
}

public sealed class PresenceTestsOnMemory(MemoryEngineUnderTest engine) : PresenceTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class PresenceTestsOnRedis(RedisEngineUnderTest engine) : PresenceTests(engine), IClassFixture<RedisEngineUnderTest>;
