using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>The basics against the real server: publish, receive, acks, history, presence, errors.</summary>
public sealed class PublishSubscribeTests
{
    [Fact]
    public async Task A_publication_reaches_other_subscribers_with_its_position_and_not_its_publisher()
    {
        await using var server = await RunningServer.StartAsync();
        await using var ana = await TestClients.ConnectAsync(server, "ana");
        await using var bo = await TestClients.ConnectAsync(server, "bo");
        var anaRoom = await ana.SubscribeAsync("room");
        var boRoom = await bo.SubscribeAsync("room");

        var ack = await ana.PublishAsync("room", "hello, bo");

        Assert.Equal(("room", 1L, false), (ack.Channel, ack.Offset, ack.Duplicate));
        Assert.False(string.IsNullOrEmpty(ack.Epoch));
        var received = await boRoom.NextAsync();
        Assert.Equal(("room", 1L, ack.Epoch, ana.PublicSessionId, "hello, bo"), (received.Channel, received.Offset, received.Epoch, (string?)received.Origin, received.Message));
        Assert.InRange(received.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        // Others see the public id, never the token that resumes ana's session.
        Assert.NotEqual(ana.SessionId, received.Origin);

        // Had ana received her own publication, it would come before bo's reply.
        var reply = await bo.PublishAsync("room", "hi, ana");
        var first = await anaRoom.NextAsync();
        Assert.Equal((2L, "hi, ana", bo.PublicSessionId), (first.Offset, first.Message, (string?)first.Origin));
        Assert.Equal(2, reply.Offset);
        Assert.Equal(2, anaRoom.Offset);
        Assert.Equal(2, boRoom.Offset);
        Assert.Equal(ConnectionState.Connected, ana.State);
    }

    [Fact]
    public async Task A_client_without_a_subscription_can_publish_and_read_history()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await TestClients.ConnectAsync(server);

        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(i, (await client.PublishAsync("log", $"entry {i}")).Offset);
        }

        var history = await client.HistoryAsync("log", since: 1, limit: 10);
        Assert.Equal(("log", 3L, false), (history.Channel, history.Offset, history.Truncated));
        Assert.Equal(["entry 2", "entry 3"], history.Publications.Select(p => p.Message));
        Assert.Equal([2L, 3L], history.Publications.Select(p => p.Offset));
        Assert.All(history.Publications, p => Assert.Equal(client.PublicSessionId, p.Origin));
    }

    [Fact]
    public async Task History_longer_than_one_server_page_is_returned_whole_once_each_in_order()
    {
        // Pages of at most 16 KiB: 200 publications of 1 KB take more than a dozen of them.
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:HistoryPageBytes"] = "16384" });
        await using var client = await TestClients.ConnectAsync(server);
        var text = new string('x', 1024);
        for (var i = 1; i <= 200; i++)
        {
            await client.PublishAsync("log", $"{i}:{text}");
        }

        var all = await client.HistoryAsync("log", limit: 1000);
        Assert.Equal(("log", 200L, false), (all.Channel, all.Offset, all.Truncated));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), all.Publications.Select(p => p.Offset));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => $"{i}:{text}"), all.Publications.Select(p => p.Message));

        // The limit still counts publications, however many pages it takes.
        var some = await client.HistoryAsync("log", since: 20, limit: 150);
        Assert.Equal(Enumerable.Range(21, 150).Select(i => (long)i), some.Publications.Select(p => p.Offset));
    }

    [Fact]
    public async Task Presence_lists_subscribers_and_reports_joins_and_leaves()
    {
        await using var server = await RunningServer.StartAsync();
        await using var ana = await TestClients.ConnectAsync(server, "ana");
        var room = await ana.SubscribeAsync("room", presence: true);
        var joined = new TaskCompletionSource<PresenceChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var left = new TaskCompletionSource<PresenceChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        room.PresenceChanged += (_, change) => (change.Joined ? joined : left).TrySetResult(change);

        await using var bo = await TestClients.ConnectAsync(server, "bo");
        await bo.SubscribeAsync("room");
        var join = await joined.Task.Within();
        Assert.Equal(("room", bo.PublicSessionId, "bo"), (join.Channel, (string?)join.Member.Session, join.Member.Name));

        var presence = await ana.PresenceAsync("room");
        Assert.Equal(2, presence.Count);
        Assert.Equal(new[] { "ana", "bo" }, presence.Members.Select(m => m.Name).Order(StringComparer.Ordinal));

        await bo.UnsubscribeAsync("room");
        var leave = await left.Task.Within();
        Assert.Equal(bo.PublicSessionId, leave.Member.Session);
        Assert.Equal(1, (await ana.PresenceAsync("room")).Count);
    }

    [Fact]
    public async Task Refused_requests_fail_with_the_error_code()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await TestClients.ConnectAsync(server);

        var subscribe = await Assert.ThrowsAsync<BroadcastException>(() => client.SubscribeAsync("no spaces allowed"));
        Assert.Equal(ErrorCodes.ChannelInvalid, subscribe.Code);
        var publish = await Assert.ThrowsAsync<BroadcastException>(() => client.PublishAsync("bad channel!", "x"));
        Assert.Equal(ErrorCodes.ChannelInvalid, publish.Code);
        var history = await Assert.ThrowsAsync<BroadcastException>(() => client.HistoryAsync("room", limit: 0));
        Assert.Equal(ErrorCodes.LimitInvalid, history.Code);

        // The connection stays usable, and the refused subscription can be tried again with a valid name.
        Assert.Equal(1, (await client.PublishAsync("room", "still here")).Offset);
        await client.SubscribeAsync("room");
    }

    [Fact]
    public async Task Unsubscribing_completes_the_stream_and_stops_delivery()
    {
        await using var server = await RunningServer.StartAsync();
        await using var ana = await TestClients.ConnectAsync(server);
        await using var bo = await TestClients.ConnectAsync(server);
        var room = await ana.SubscribeAsync("room");
        var other = await ana.SubscribeAsync("other");

        await room.UnsubscribeAsync();
        await bo.PublishAsync("room", "nobody hears this");
        await bo.PublishAsync("other", "marker");

        Assert.Equal("marker", (await other.NextAsync()).Message);
        Assert.Empty(await room.ReadAllAsync().ToListAsync());
        // Subscribing again works and starts live from the current offset.
        var again = await ana.SubscribeAsync("room");
        Assert.Equal(1, again.Offset);
    }

    [Fact]
    public async Task The_events_channel_is_shared_with_legacy_clients()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await TestClients.ConnectAsync(server);
        await using var legacy = await server.ConnectAsync();
        var events = await client.SubscribeAsync("events");
        await server.WaitForConnectionCountAsync(2);

        await legacy.SendMessageAsync("from a legacy client");
        var publication = await events.NextAsync();
        Assert.Equal(("events", 1L, "from a legacy client"), (publication.Channel, publication.Offset, publication.Message));

        await client.PublishAsync("events", "from the .NET client");
        Assert.Equal("from the .NET client", (await legacy.ReceiveJsonAsync()).GetProperty("message").GetString());
    }
}
