using Broadcast.Server.Engines.Redis;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The engine contract on a Redis Cluster of 3 masters and 3 replicas: every script single-slot, pub/sub
/// sharded. Losing the data is FLUSHALL on every master. The cluster is shared (it is not stopped or stalled
/// here; one Redis and the shards cover those, with the same code).
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterEngineContractTests(RedisClusterFixture fixture) : RedisContractTests
{
    protected override IEnumerable<RedisServer> Servers => fixture.Cluster.Nodes;

    protected override RedisOptions Deployment() => new() { Configuration = fixture.Cluster.Configuration };

    protected override string ConfigurationOf(string channel) => fixture.Cluster.Configuration;

    /// <summary>The nodes use sharded pub/sub here; a classic PUBLISH reaches none of their SSUBSCRIBEs.</summary>
    protected override RedisPubSub OtherPubSub => RedisPubSub.Classic;

    protected override async Task<EngineNode> LoseDataAsync(EngineNode node)
    {
        await fixture.Cluster.FlushAllAsync();
        return node;
    }

    protected override Task<bool> MakeUnavailableAsync() => Task.FromResult(false);

    [Fact]
    public async Task Publications_travel_by_sharded_pub_sub()
    {
        var (publisher, subscriber) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await subscriber.SubscribeAsync(channel);
        var (master, _) = await fixture.Cluster.NodesForAsync(channel);

        // The channel's shard channel has a subscriber on the master of its slot, and classic pub/sub none anywhere.
        Assert.Equal("1", (await master.CliAsync("PUBSUB", "SHARDNUMSUB", $"{Prefix}:{{{channel}}}:events")).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim());
        foreach (var node in fixture.Cluster.Nodes)
        {
            Assert.DoesNotContain(Prefix, await node.CliAsync("PUBSUB", "CHANNELS"), StringComparison.Ordinal);
        }

        await publisher.Stream.PublishAsync(channel, "origin", null, Message("sharded"), CancellationToken.None);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count == 1, Wait, "the publication");
    }
}
