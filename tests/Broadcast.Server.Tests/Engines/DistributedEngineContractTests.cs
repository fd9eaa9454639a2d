using System.Text;
using Broadcast.Server.Engines;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The part of the engine contract that needs several nodes sharing channels (the in-memory engine is one
/// node): routing between nodes, presence seen from another node, and what nodes that stay up do when the
/// engine loses data under them (issue #12).
/// </summary>
public abstract class DistributedEngineContractTests : EngineContractTests
{
    protected override Task<EngineNode> WatcherOfAsync(EngineNode node) => NodeAsync();

    /// <summary>The engine loses every key while the nodes stay connected (FLUSHALL).</summary>
    protected abstract Task LoseDataKeepingLinksAsync();

    /// <summary>
    /// A node whose publications go into the channels' streams but reach no other node by pub/sub, as if
    /// every other node's pub/sub link were down while it published: they learn of them late, from history.
    /// </summary>
    protected abstract Task<EngineNode> CreateUnheardNodeAsync(StreamOptions options);

    /// <summary>
    /// Takes <paramref name="channel"/> back to offset <paramref name="toOffset"/> of its epoch, as a failover to
    /// a replica that had not received the publications after it (asynchronous replication allows that).
    /// </summary>
    protected abstract Task RewindAsync(string channel, long toOffset);

    [Fact]
    public async Task Publications_reach_every_node_that_subscribed_and_stop_once_it_unsubscribed()
    {
        var (publisher, subscriber) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await subscriber.SubscribeAsync(channel);
        await publisher.Stream.PublishAsync(channel, "origin", null, Message("first"), CancellationToken.None);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count == 1, Wait, "the first publication on the other node");
        Assert.Empty(publisher.Listener.Publications(channel));

        await subscriber.UnsubscribeAsync(channel);
        await publisher.Stream.PublishAsync(channel, "origin", null, Message("second"), CancellationToken.None);

        // A third node subscribing afterwards proves the second publication was delivered by then.
        var late = await NodeAsync();
        await late.SubscribeAsync(channel);
        await publisher.Stream.PublishAsync(channel, "origin", null, Message("third"), CancellationToken.None);
        await late.Listener.WaitForAsync(() => late.Listener.Publications(channel).Count == 1, Wait, "the third publication on the late node");
        Assert.Equal(["first"], subscriber.Listener.Publications(channel).Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
    }

    [Fact]
    public async Task The_members_of_a_node_that_died_are_reported_expired_once_by_the_nodes_that_stay_up_also_in_a_channel_only_it_used()
    {
        var (keeper, bystander) = (await NodeAsync(), await NodeAsync());
        var (keeperSaw, bystanderSaw) = (new RecordingExpiryObserver(), new RecordingExpiryObserver());
        keeper.Presence.ObserveExpiry(keeperSaw);
        bystander.Presence.ObserveExpiry(bystanderSaw);
        var (shared, lonely) = (Channel(), Channel());
        var stays = new PresenceMember("n:1", "p_ana", "Ana", "user-ana");
        await keeper.Presence.JoinAsync(shared, stays, CancellationToken.None);

        // Not kept: it dies (stops refreshing) without a leave, as a killed process does.
        var doomed = await CreateNodeAsync(DefaultOptions());
        var (inShared, inLonely) = (new PresenceMember("n:2", "p_bob", "Bob", "user-bob"), new PresenceMember("n:3", "p_cy", null));
        await doomed.Presence.JoinAsync(shared, inShared, CancellationToken.None);
        await doomed.Presence.JoinAsync(lonely, inLonely, CancellationToken.None);
        await doomed.DisposeAsync();

        IReadOnlyList<(string Channel, PresenceMember Member, bool Vacated)> Reports() => [.. keeperSaw.Reports, .. bystanderSaw.Reports];
        await Eventually.TrueAsync(() => Reports().Count >= 2, Wait, "both of the dead node's members to be reported");

        // Reads remove expired members too: one that found them again would report them a second time.
        Assert.Equal([stays], await bystander.Presence.GetPresenceAsync(shared, CancellationToken.None));
        Assert.Empty(await keeper.Presence.GetPresenceAsync(lonely, CancellationToken.None));
        Assert.Equal(
            [(shared, inShared, false), (lonely, inLonely, true)],
            Reports().OrderBy(report => report.Member.ClientKey, StringComparer.Ordinal));
    }

    [Fact]
    public async Task After_the_engine_lost_its_data_every_node_puts_its_present_members_back()
    {
        var (node, watcher) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await watcher.SubscribeAsync(channel);
        var member = new PresenceMember("n:1", "p_ana", "Ana", "user-ana");
        await node.Presence.JoinAsync(channel, member, CancellationToken.None);
        await watcher.Listener.WaitForAsync(() => watcher.Listener.PresenceEvents(channel).Count == 1, Wait, "the join");

        await LoseDataKeepingLinksAsync();

        // Still connected, so still present: the node's next refresh adds it back, and tells the other nodes.
        await Eventually.TrueAsync(async () => (await watcher.Presence.GetPresenceAsync(channel, CancellationToken.None)).Contains(member), Wait, "the member to be present again");
        await watcher.Listener.WaitForAsync(() => watcher.Listener.PresenceEvents(channel).Count == 2, Wait, "a second join");
        Assert.Equal([(true, member), (true, member)], watcher.Listener.PresenceEvents(channel));

        // One that leaves is not put back.
        await node.Presence.LeaveAsync(channel, member, CancellationToken.None);
        await watcher.Listener.WaitForAsync(() => watcher.Listener.PresenceEvents(channel).Count == 3, Wait, "the leave");
        Assert.Empty(await watcher.Presence.GetPresenceAsync(channel, CancellationToken.None));
    }

    [Fact]
    public async Task A_node_that_learns_late_that_the_engine_lost_its_data_delivers_the_new_epoch_from_its_start_and_announces_only_the_loss()
    {
        var (publisher, subscriber) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await subscriber.SubscribeAsync(channel);
        var old = await publisher.Stream.PublishAsync(channel, "origin", null, Message("old"), CancellationToken.None);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count == 1, Wait, "the old epoch's publication");

        await LoseDataKeepingLinksAsync();

        // The subscriber's node does not hear the new epoch's first two publications: the third is the first
        // it sees, so the new epoch's start is still in history when it learns of the loss.
        var unheard = await KeepAsync(CreateUnheardNodeAsync(DefaultOptions()));
        var fresh = new List<PublishResult>();
        for (var i = 1; i <= 2; i++)
        {
            fresh.Add(await unheard.Stream.PublishAsync(channel, "origin", null, Message($"new {i}"), CancellationToken.None));
        }

        fresh.Add(await publisher.Stream.PublishAsync(channel, "origin", null, Message("new 3"), CancellationToken.None));

        var epoch = fresh[0].Position.Epoch;
        Assert.NotEqual(old.Position.Epoch, epoch);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count(p => p.Epoch == epoch) == 3, Wait, "the new epoch's three publications");

        // Every publication of the new epoch arrives, in order; the notice covers only the old epoch's tail.
        Assert.Equal(["new 1", "new 2", "new 3"], subscriber.Listener.Publications(channel).Where(p => p.Epoch == epoch).Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
        Assert.Equal([new StreamPosition(epoch, 0)], subscriber.Listener.Unrecoverable(channel));
    }

    [Fact]
    public async Task A_stream_that_went_backwards_starts_a_new_epoch_rather_than_hand_out_its_offsets_again()
    {
        var (publisher, subscriber) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await subscriber.SubscribeAsync(channel);
        PublishResult last = default;
        for (var i = 1; i <= 5; i++)
        {
            last = await publisher.Stream.PublishAsync(channel, "origin", null, Message($"m{i}"), CancellationToken.None);
        }

        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count == 5, Wait, "five publications");

        // A failover to a replica that had not received 4 and 5, acknowledged and delivered.
        await RewindAsync(channel, toOffset: 3);
        var next = await publisher.Stream.PublishAsync(channel, "origin", null, Message("after"), CancellationToken.None);

        Assert.NotEqual(last.Position.Epoch, next.Position.Epoch);
        Assert.Equal(1, next.Position.Offset);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Any(p => p.Epoch == next.Position.Epoch), Wait, "the new epoch");
        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "after"], subscriber.Listener.Publications(channel).Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
        Assert.Equal([new StreamPosition(next.Position.Epoch, 0)], subscriber.Listener.Unrecoverable(channel));
    }

    [Fact]
    public async Task When_a_node_that_never_saw_the_lost_publications_reuses_their_offsets_the_node_that_delivered_them_starts_a_new_epoch()
    {
        var (publisher, subscriber) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await subscriber.SubscribeAsync(channel);
        for (var i = 1; i <= 5; i++)
        {
            await publisher.Stream.PublishAsync(channel, "origin", null, Message($"m{i}"), CancellationToken.None);
        }

        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count == 5, Wait, "five publications");
        await RewindAsync(channel, toOffset: 3);

        // A node started after the failover knows nothing of offsets 4 and 5: Redis gives it 4 again.
        var stranger = await NodeAsync();
        var reused = await stranger.Stream.PublishAsync(channel, "stranger", null, Message("other content"), CancellationToken.None);
        Assert.Equal(4, reused.Position.Offset);

        // The subscribed node must not drop it as a repeat of 4: it announces the loss and starts a new epoch.
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Unrecoverable(channel).Count == 1, Wait, "the loss to be announced");
        var after = await stranger.Stream.PublishAsync(channel, "stranger", null, Message("after"), CancellationToken.None);
        Assert.NotEqual(reused.Position.Epoch, after.Position.Epoch);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Any(p => p.Epoch == after.Position.Epoch), Wait, "the new epoch");
        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "after"], subscriber.Listener.Publications(channel).Select(p => Encoding.UTF8.GetString(p.Payload.Bytes)));
    }
}
