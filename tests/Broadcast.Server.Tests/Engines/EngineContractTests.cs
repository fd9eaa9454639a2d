using System.Text;
using Broadcast.Server.Engines;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The engine contract (<see cref="IStreamEngine"/>, <see cref="IPresenceEngine"/>, <see cref="INodeDirectory"/>),
/// written once and run in-process against every engine: each subclass says how to make a node of its engine,
/// how to lose its data and how to make it unreachable. A new engine adds a subclass here.
/// </summary>
public abstract class EngineContractTests : IAsyncLifetime
{
    /// <summary>Kept small, so that truncation is reached quickly.</summary>
    protected const int HistorySize = 5;

    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _nodes = [];

    /// <summary>A node of the engine with its listener; nodes made by one test share their channels (one deployment).</summary>
    protected abstract Task<EngineNode> CreateNodeAsync(StreamOptions options);

    /// <summary>Makes the engine lose every channel's data (a restart without persistence); returns a node to go on with.</summary>
    protected abstract Task<EngineNode> LoseDataAsync(EngineNode node);

    /// <summary>Makes the engine unreachable; false when it cannot be (it lives in this process).</summary>
    protected abstract Task<bool> MakeUnavailableAsync();

    /// <summary>Stalls the engine (it stops answering, as a Redis under SIGSTOP) until the returned handle is disposed; null when it cannot be.</summary>
    protected virtual Task<IAsyncDisposable?> StallAsync() => Task.FromResult<IAsyncDisposable?>(null);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>The node that watches presence in <see cref="Presence_holds_who_joined_until_they_leave_and_tells_subscribed_nodes"/>: another node where there are several.</summary>
    protected virtual Task<EngineNode> WatcherOfAsync(EngineNode node) => Task.FromResult(node);

    protected static StreamOptions DefaultOptions() => new() { HistorySize = HistorySize };

    protected Task<EngineNode> NodeAsync() => KeepAsync(CreateNodeAsync(DefaultOptions()));

    /// <summary>Disposes the node made by <paramref name="creating"/> at the end of the test.</summary>
    protected async Task<EngineNode> KeepAsync(Task<EngineNode> creating)
    {
        var node = await creating;
        _nodes.Add(node);
        return node;
    }

    protected static string Channel() => "c" + Guid.NewGuid().ToString("N")[..8];

    protected static byte[] Message(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Offsets_count_from_one_without_gaps_per_channel_and_epoch()
    {
        var node = await NodeAsync();
        var (a, b) = (Channel(), Channel());
        var offsets = new List<long>();
        var epochs = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            var result = await node.Stream.PublishAsync(a, "origin", null, Message($"a{i}"), CancellationToken.None);
            offsets.Add(result.Position.Offset);
            epochs.Add(result.Position.Epoch);
            Assert.False(result.Duplicate);
        }

        var first = await node.Stream.PublishAsync(b, "origin", null, Message("b0"), CancellationToken.None);
        Assert.Equal([1L, 2L, 3L, 4L], offsets);
        Assert.Single(epochs);
        Assert.Equal(1, first.Position.Offset);
    }

    [Fact]
    public async Task History_returns_the_publications_after_an_offset_oldest_first_with_the_position()
    {
        var node = await NodeAsync();
        var channel = Channel();
        string epoch = "";
        for (var i = 1; i <= 4; i++)
        {
            epoch = (await node.Stream.PublishAsync(channel, "origin-" + i, null, Message($"m{i}"), CancellationToken.None)).Position.Epoch;
        }

        var history = await node.Stream.ReadHistoryAsync(channel, sinceOffset: 1, limit: 2, CancellationToken.None);
        Assert.Equal(new StreamPosition(epoch, 4), history.Position);
        Assert.False(history.Truncated);
        Assert.Equal([2L, 3L], history.Publications.Select(p => p.Offset));
        Assert.Equal(["m2", "m3"], history.Publications.Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
        Assert.Equal(["origin-2", "origin-3"], history.Publications.Select(p => p.Origin));
        Assert.All(history.Publications, p => Assert.Equal((channel, epoch), (p.Channel, p.Epoch)));

        var positionOnly = await node.Stream.ReadHistoryAsync(channel, sinceOffset: 0, limit: 0, CancellationToken.None);
        Assert.Equal((new StreamPosition(epoch, 4), 0), (positionOnly.Position, positionOnly.Publications.Count));
        Assert.Empty((await node.Stream.ReadHistoryAsync(channel, sinceOffset: 4, limit: 10, CancellationToken.None)).Publications);
    }

    [Fact]
    public async Task History_past_its_size_is_reported_truncated_and_keeps_the_newest()
    {
        var node = await NodeAsync();
        var channel = Channel();
        for (var i = 1; i <= HistorySize + 3; i++)
        {
            await node.Stream.PublishAsync(channel, "origin", null, Message($"m{i}"), CancellationToken.None);
        }

        var history = await node.Stream.ReadHistoryAsync(channel, sinceOffset: 0, limit: 100, CancellationToken.None);
        Assert.True(history.Truncated);
        Assert.Equal(Enumerable.Range(4, HistorySize).Select(i => (long)i), history.Publications.Select(p => p.Offset));
        Assert.False((await node.Stream.ReadHistoryAsync(channel, sinceOffset: 3, limit: 100, CancellationToken.None)).Truncated);
    }

    [Fact]
    public async Task A_retried_publish_returns_the_first_position_and_is_stored_once()
    {
        var node = await NodeAsync();
        var channel = Channel();
        var first = await node.Stream.PublishAsync(channel, "session-1", "m1", Message("once"), CancellationToken.None);
        var retry = await node.Stream.PublishAsync(channel, "session-1", "m1", Message("once"), CancellationToken.None);
        var otherPublisher = await node.Stream.PublishAsync(channel, "session-2", "m1", Message("also"), CancellationToken.None);

        Assert.Equal((first.Position, true), (retry.Position, retry.Duplicate));
        Assert.False(otherPublisher.Duplicate);
        Assert.Equal(first.Position.Offset + 1, otherPublisher.Position.Offset);
        var history = await node.Stream.ReadHistoryAsync(channel, 0, 100, CancellationToken.None);
        Assert.Equal(["once", "also"], history.Publications.Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
    }

    [Fact]
    public async Task After_the_engine_lost_its_data_a_channel_has_a_new_epoch_and_counts_from_one_again()
    {
        var node = await NodeAsync();
        var channel = Channel();
        await node.Stream.PublishAsync(channel, "origin", null, Message("before"), CancellationToken.None);
        var before = await node.Stream.PublishAsync(channel, "origin", null, Message("before"), CancellationToken.None);

        node = await LoseDataAsync(node);
        var after = await node.Stream.PublishAsync(channel, "origin", null, Message("after"), CancellationToken.None);

        Assert.NotEqual(before.Position.Epoch, after.Position.Epoch);
        Assert.Equal(1, after.Position.Offset);
        var history = await node.Stream.ReadHistoryAsync(channel, 0, 100, CancellationToken.None);
        Assert.Equal(new StreamPosition(after.Position.Epoch, 1), history.Position);
        Assert.Equal(["after"], history.Publications.Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
    }

    [Fact]
    public async Task A_node_receives_the_channels_it_subscribed_to_in_offset_order_and_no_others()
    {
        var node = await NodeAsync();
        var (wanted, other) = (Channel(), Channel());
        await node.SubscribeAsync(wanted);

        // Published without waiting for each, as a pipelining client does: the order must hold all the same.
        var publishes = Enumerable.Range(1, 20).Select(i => node.Stream.PublishAsync(wanted, "origin", null, Message($"m{i}"), CancellationToken.None).AsTask()).ToList();
        await node.Stream.PublishAsync(other, "origin", null, Message("not for this node"), CancellationToken.None);
        var results = await Task.WhenAll(publishes);

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), results.Select(r => r.Position.Offset));
        await node.Listener.WaitForAsync(() => node.Listener.Publications(wanted).Count == 20, Wait, "20 publications");
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"m{i}"), node.Listener.Publications(wanted).Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
        Assert.Empty(node.Listener.Publications(other));
    }

    [Fact]
    public async Task Presence_holds_who_joined_until_they_leave_and_tells_subscribed_nodes()
    {
        var node = await NodeAsync();
        var watcher = await WatcherOfAsync(node);
        var channel = Channel();
        await watcher.SubscribeAsync(channel);
        var (ana, bob) = (new PresenceMember("n:1", "p_ana", "Ana", "user-ana"), new PresenceMember("n:2", "p_bob", null));

        await node.Presence.JoinAsync(channel, ana, CancellationToken.None);
        await node.Presence.JoinAsync(channel, bob, CancellationToken.None);
        Assert.Equal([ana, bob], (await watcher.Presence.GetPresenceAsync(channel, CancellationToken.None)).OrderBy(m => m.ClientKey, StringComparer.Ordinal));

        await node.Presence.LeaveAsync(channel, ana, CancellationToken.None);
        Assert.Equal([bob], await watcher.Presence.GetPresenceAsync(channel, CancellationToken.None));

        await watcher.Listener.WaitForAsync(() => watcher.Listener.PresenceEvents(channel).Count == 3, Wait, "three presence events");
        Assert.Equal([(true, ana), (true, bob), (false, ana)], watcher.Listener.PresenceEvents(channel));
    }

    [Fact]
    public async Task A_node_report_is_listed_by_the_node_directory()
    {
        var node = await NodeAsync();
        var report = new NodeReport("n-" + Guid.NewGuid().ToString("N")[..6], DateTimeOffset.UtcNow, "test", true, false, 3, 2, DateTimeOffset.UtcNow);
        await node.Directory.ReportNodeAsync(report, CancellationToken.None);
        var listed = Assert.Single(await node.Directory.GetNodesAsync(CancellationToken.None), n => n.Id == report.Id);
        Assert.Equal((3, 2, true), (listed.Connections, listed.Channels, listed.Ready));
    }

    [Fact]
    public async Task An_unreachable_engine_fails_promptly_with_the_documented_exception()
    {
        var node = await NodeAsync();
        if (!await MakeUnavailableAsync())
        {
            // Always available: it lives in this process.
            Assert.True(await node.Stream.IsAvailableAsync(CancellationToken.None));
            return;
        }

        // Promptly: within the engine's operation timeout (1 s here), far inside the generous wait. Right after
        // the cut a publish may already be on its way (outcome unknown); once the engine knows it is cut off,
        // nothing is sent, and it says so: not published.
        await Assert.ThrowsAnyAsync<EngineUnavailableException>(() => node.Stream.PublishAsync(Channel(), "origin", null, Message("lost"), CancellationToken.None).AsTask().WaitAsync(Wait));
        await Eventually.TrueAsync(
            async () =>
            {
                var failure = await Assert.ThrowsAnyAsync<EngineUnavailableException>(() => node.Stream.PublishAsync(Channel(), "origin", null, Message("lost"), CancellationToken.None).AsTask().WaitAsync(Wait));
                return failure is not EngineOutcomeUnknownException;
            },
            Wait,
            "a publish to be refused as not sent");
        // A read has no outcome to be unsure of; with shards, a new channel may live on a shard whose connection
        // has not yet noticed the cut (its failure then says "unknown"), and either way the client is told
        // engine_unavailable.
        await Assert.ThrowsAnyAsync<EngineUnavailableException>(() => node.Stream.ReadHistoryAsync(Channel(), 0, 10, CancellationToken.None).AsTask().WaitAsync(Wait));
        await Assert.ThrowsAnyAsync<EngineUnavailableException>(() => node.Presence.GetPresenceAsync(Channel(), CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.False(await node.Stream.IsAvailableAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task After_the_engine_lost_its_data_a_retried_publish_is_published_again_and_its_ack_carries_the_new_epoch()
    {
        var node = await NodeAsync();
        var channel = Channel();
        var first = await node.Stream.PublishAsync(channel, "session-1", "m1", Message("once"), CancellationToken.None);

        node = await LoseDataAsync(node);
        var retry = await node.Stream.PublishAsync(channel, "session-1", "m1", Message("once"), CancellationToken.None);

        // The idempotency record went with the data: the retry is published again, and says so by its epoch.
        Assert.False(retry.Duplicate);
        Assert.NotEqual(first.Position.Epoch, retry.Position.Epoch);
        Assert.Equal(1, retry.Position.Offset);
        var again = await node.Stream.PublishAsync(channel, "session-1", "m1", Message("once"), CancellationToken.None);
        Assert.Equal((retry.Position, true), (again.Position, again.Duplicate));
    }

    [Fact]
    public async Task A_publish_the_engine_may_have_run_is_reported_as_unknown_and_its_retry_with_the_same_id_is_not_published_twice()
    {
        var node = await NodeAsync();
        var channel = Channel();
        await node.Stream.PublishAsync(channel, "session-1", "m1", Message("before"), CancellationToken.None);
        var stall = await StallAsync();
        if (stall is null)
        {
            // It cannot stall (it lives in this process): every publish has a known outcome.
            Assert.Equal(2, (await node.Stream.PublishAsync(channel, "session-1", "m2", Message("during"), CancellationToken.None)).Position.Offset);
            return;
        }

        await using (stall)
        {
            // Sent, and not answered within the operation timeout: "nothing was published" would be a guess.
            await Assert.ThrowsAsync<EngineOutcomeUnknownException>(() => node.Stream.PublishAsync(channel, "session-1", "m2", Message("during"), CancellationToken.None).AsTask().WaitAsync(Wait));
        }

        // The engine ran it once it answered again: the retry with the same id finds it, and is not published twice.
        PublishResult retry = default;
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    retry = await node.Stream.PublishAsync(channel, "session-1", "m2", Message("during"), CancellationToken.None);
                    return true;
                }
                catch (EngineUnavailableException)
                {
                    return false;
                }
            },
            Wait,
            "the retry to be answered");
        Assert.Equal((2L, true), (retry.Position.Offset, retry.Duplicate));
        var history = await node.Stream.ReadHistoryAsync(channel, 0, 100, CancellationToken.None);
        Assert.Equal(["before", "during"], history.Publications.Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
    }
}
