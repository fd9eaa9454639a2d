using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>After a reconnect, every subscription resumes from the last delivered position.</summary>
public sealed class ResumeTests
{
    [Fact]
    public async Task A_subscriber_that_was_away_receives_exactly_what_it_missed_in_order_then_live_publications()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var subscriber = await TestClients.ConnectAsync(endpoint);
        await using var publisher = await TestClients.ConnectAsync(server);
        var room = await subscriber.SubscribeAsync("room");
        var recovered = new TaskCompletionSource<ChannelRecovery>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.Recovered += (_, recovery) => recovered.TrySetResult(recovery);
        subscriber.RecoveryFailed += (_, recovery) => recovered.TrySetException(new InvalidOperationException($"Not recovered: {recovery}"));
        await publisher.PublishAsync("room", "before 1");
        await publisher.PublishAsync("room", "before 2");
        Assert.Equal(["before 1", "before 2"], [(await room.NextAsync()).Message, (await room.NextAsync()).Message]);
        var session = subscriber.SessionId;

        // The network goes down: the subscriber's reconnects are refused while 50 publications go by.
        endpoint.GoOffline();
        Assert.True(subscriber.AbortConnection());
        for (var i = 1; i <= 50; i++)
        {
            await publisher.PublishAsync("room", $"missed {i}");
        }

        Assert.False(recovered.Task.IsCompleted);
        endpoint.PointAt(server.WebSocketUri);

        var recovery = await recovered.Task.Within();
        Assert.Equal(("room", true, 50), (recovery.Channel, recovery.Recovered, recovery.Missed));
        Assert.Equal(session, subscriber.SessionId);
        for (var i = 1; i <= 50; i++)
        {
            var publication = await room.NextAsync();
            Assert.Equal((2L + i, $"missed {i}"), (publication.Offset, publication.Message));
        }

        await publisher.PublishAsync("room", "live");
        var live = await room.NextAsync();
        Assert.Equal((53L, "live"), (live.Offset, live.Message));
        Assert.False(room.Publications.TryRead(out var extra), $"Unexpected extra publication {extra}");
    }

    [Fact]
    public async Task Resuming_after_the_server_restarted_reports_recovery_failed_and_continues_live()
    {
        var first = await RunningServer.StartAsync();
        var endpoint = new Endpoint(first.WebSocketUri);
        await using var subscriber = await TestClients.ConnectAsync(endpoint);
        var room = await subscriber.SubscribeAsync("room");
        var failed = new TaskCompletionSource<ChannelRecovery>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.RecoveryFailed += (_, recovery) => failed.TrySetResult(recovery);
        string oldEpoch;
        await using (var publisher = await TestClients.ConnectAsync(first))
        {
            oldEpoch = (await publisher.PublishAsync("room", "on the first server")).Epoch;
            await publisher.PublishAsync("room", "still the first server");
        }

        Assert.Equal(1, (await room.NextAsync()).Offset);
        Assert.Equal(2, (await room.NextAsync()).Offset);

        // The server goes away (its history with it); a new one comes up elsewhere.
        endpoint.GoOffline();
        await first.DisposeAsync();
        await using var second = await RunningServer.StartAsync();
        endpoint.PointAt(second.WebSocketUri);

        var recovery = await failed.Task.Within();
        Assert.Equal(("room", false, 0), (recovery.Channel, recovery.Recovered, recovery.Missed));
        Assert.NotEqual(oldEpoch, recovery.Epoch);
        Assert.Equal(recovery.Epoch, room.Epoch);

        // Live from the new stream: offset 1 again, in the new epoch, is not mistaken for a duplicate.
        await using var newPublisher = await TestClients.ConnectAsync(second);
        await newPublisher.PublishAsync("room", "on the second server");
        var publication = await room.NextAsync();
        Assert.Equal((1L, recovery.Epoch, "on the second server"), (publication.Offset, publication.Epoch, publication.Message));
    }

    [Fact]
    public async Task Resuming_past_the_history_reports_recovery_failed_and_replays_nothing()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Channels:HistorySize"] = "5" });
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var subscriber = await TestClients.ConnectAsync(endpoint);
        await using var publisher = await TestClients.ConnectAsync(server);
        var room = await subscriber.SubscribeAsync("room");
        var outcome = new TaskCompletionSource<ChannelRecovery>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.RecoveryFailed += (_, recovery) => outcome.TrySetResult(recovery);
        subscriber.Recovered += (_, recovery) => outcome.TrySetResult(recovery);
        await publisher.PublishAsync("room", "seen");
        Assert.Equal(1, (await room.NextAsync()).Offset);

        endpoint.GoOffline();
        subscriber.AbortConnection();
        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync("room", $"missed {i}");
        }

        endpoint.PointAt(server.WebSocketUri);
        var recovery = await outcome.Task.Within();
        Assert.Equal(("room", false, 11L), (recovery.Channel, recovery.Recovered, recovery.Offset));

        await publisher.PublishAsync("room", "live");
        var live = await room.NextAsync();
        Assert.Equal((12L, "live"), (live.Offset, live.Message));
    }

    [Fact]
    public async Task Own_acknowledged_publications_advance_the_position_so_resuming_needs_no_history()
    {
        // With a history of 5 and 20 own publications, resuming from the last publication of someone else
        // would fail; the client counts its own acked offsets and resumes from the end.
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Channels:HistorySize"] = "5" });
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var client = await TestClients.ConnectAsync(endpoint);
        var room = await client.SubscribeAsync("room");
        var outcome = new TaskCompletionSource<ChannelRecovery>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.RecoveryFailed += (_, recovery) => outcome.TrySetResult(recovery);
        client.Recovered += (_, recovery) => outcome.TrySetResult(recovery);
        for (var i = 1; i <= 20; i++)
        {
            await client.PublishAsync("room", $"own {i}");
        }

        Assert.Equal(20, room.Offset);
        client.AbortConnection();

        var recovery = await outcome.Task.Within();
        Assert.Equal((true, 0), (recovery.Recovered, recovery.Missed));
    }
}
