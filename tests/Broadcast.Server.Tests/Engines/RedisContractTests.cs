using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Redis;
using Broadcast.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The engine contract on the Redis engine, against real <c>redis-server</c> processes: several engine instances
/// sharing a key prefix are several nodes. Each subclass is one way to deploy Redis (one server, shards, a
/// Cluster); what they share is how the tests reach into Redis from outside.
/// </summary>
public abstract class RedisContractTests : DistributedEngineContractTests
{
    private const int SweepPage = 16;

    private readonly NullObserver _observer = new();

    protected string Prefix { get; } = "contract" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Where the nodes' Redis is: Configuration or Shards (the rest is set here).</summary>
    protected abstract RedisOptions Deployment();

    /// <summary>Every redis-server process of the deployment.</summary>
    protected abstract IEnumerable<RedisServer> Servers { get; }

    /// <summary>The configuration string of the Redis (or Cluster) that holds <paramref name="channel"/>.</summary>
    protected abstract string ConfigurationOf(string channel);

    /// <summary>The pub/sub flavour the nodes do not use (so a node with it is heard by none of them).</summary>
    protected virtual RedisPubSub OtherPubSub => RedisPubSub.Sharded;

    protected override Task<EngineNode> CreateNodeAsync(StreamOptions options) => CreateNodeAsync(options, RedisPubSub.Auto);

    protected override Task<EngineNode> CreateUnheardNodeAsync(StreamOptions options) => CreateNodeAsync(options, OtherPubSub);

    private async Task<EngineNode> CreateNodeAsync(StreamOptions options, RedisPubSub pubSub)
    {
        var listener = new RecordingListener();
        var redis = Deployment();
        redis.PubSub = pubSub;
        redis.Prefix = Prefix;
        redis.OperationTimeout = TimeSpan.FromSeconds(1);
        // Refreshed every second, so a lost member is put back quickly.
        redis.PresenceTtl = TimeSpan.FromSeconds(3);
        var retry = new BackgroundRetry(_observer, NullLogger<BackgroundRetry>.Instance, TimeProvider.System);
        var engine = new RedisEngine(listener, TimeProvider.System, Options.Create(options), Options.Create(redis), _observer, retry, NullLogger<RedisEngine>.Instance)
        {
            // The presence sweep reads its index in pages of this many channels (256 in production): small, so
            // a test's few channels take several pages.
            SweepBatchSize = SweepPage,
        };
        // As the server does at start: connected before the first request.
        await engine.StartAsync();
        return new EngineNode(engine, listener);
    }

    protected override async Task LoseDataKeepingLinksAsync()
    {
        foreach (var server in Servers)
        {
            // (A Cluster's replicas refuse it; they follow their master.)
            await server.CliAsync("FLUSHALL");
        }
    }

    /// <summary>
    /// The sweep reads its index of channels with presence a page at a time (SSCAN), and goes through every page:
    /// more than a page of channels stay in the index (a live node's members, which the sweep leaves), and the
    /// members a dead node had in other channels are still every one reported expired, once. (A sweep that read
    /// only the first page fails this: its first page stays full of the live node's channels.)
    /// </summary>
    [Fact]
    public async Task The_sweep_reaches_a_dead_node_s_members_past_the_first_page_of_its_index()
    {
        // Over a page per shard (three shards at most here), and over several pages in all.
        const int Lasting = 8 * SweepPage;
        const int Dead = 2 * SweepPage;
        var (keeper, bystander) = (await NodeAsync(), await NodeAsync());
        var (keeperSaw, bystanderSaw) = (new RecordingExpiryObserver(), new RecordingExpiryObserver());
        keeper.Presence.ObserveExpiry(keeperSaw);
        bystander.Presence.ObserveExpiry(bystanderSaw);

        // A live node's channels: they stay in the index, more of them than one page holds, also on each shard.
        var holder = await NodeAsync();
        await JoinEachAsync(holder, Enumerable.Range(0, Lasting).Select(_ => Channel()));

        // Channels only the doomed node used: only the sweep can find its members there.
        var doomed = await CreateNodeAsync(DefaultOptions());
        var lonely = Enumerable.Range(0, Dead).Select(_ => Channel()).ToList();
        await JoinEachAsync(doomed, lonely);

        // A join puts its channel in the index without waiting (its node's next refresh would put it back): let
        // those writes land before the node dies, or the sweep could not know of the channels at all.
        await Eventually.TrueAsync(() => AllIndexedAsync(lonely), Wait, "the dead node's channels to be in the index");
        await doomed.DisposeAsync();

        IReadOnlyList<(string Channel, PresenceMember Member, bool Vacated)> Reports() => [.. keeperSaw.Reports, .. bystanderSaw.Reports];
        await Eventually.TrueAsync(() => Reports().Count >= Dead, Wait, $"all {Dead} of the dead node's members to be reported");

        Assert.Equal(lonely.Order(StringComparer.Ordinal), Reports().Select(report => report.Channel).Order(StringComparer.Ordinal));
        Assert.All(Reports(), report => Assert.True(report.Vacated));
        foreach (var channel in lonely)
        {
            Assert.Empty(await keeper.Presence.GetPresenceAsync(channel, CancellationToken.None));
        }
    }

    private async Task<bool> AllIndexedAsync(IEnumerable<string> channels)
    {
        foreach (var group in channels.GroupBy(ConfigurationOf))
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(group.Key);
            var indexed = await redis.GetDatabase().SetContainsAsync($"{Prefix}:{{presence-channels}}", [.. group.Select(channel => (RedisValue)channel)]);
            if (!indexed.All(found => found))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task JoinEachAsync(EngineNode node, IEnumerable<string> channels)
    {
        foreach (var chunk in channels.Chunk(8))
        {
            await Task.WhenAll(chunk.Select(channel => JoinAsync(node, channel)));
        }
    }

    /// <summary>Joins, again if Redis did not answer in time (a busy machine; joining twice changes nothing).</summary>
    private static async Task JoinAsync(EngineNode node, string channel)
    {
        var member = new PresenceMember("n:" + channel, "p_" + channel, null);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await node.Presence.JoinAsync(channel, member, CancellationToken.None);
                return;
            }
            catch (EngineUnavailableException) when (attempt < 5)
            {
            }
        }
    }

    protected override async Task RewindAsync(string channel, long toOffset)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(ConfigurationOf(channel));
        await redis.GetDatabase().ScriptEvaluateAsync(
            """
            -- As the replica had it: the stream rebuilt from the entries it kept (XDEL would leave its last id).
            redis.call('HSET', KEYS[1], 'offset', ARGV[1])
            local kept = redis.call('XRANGE', KEYS[2], '-', ARGV[1] .. '-1')
            redis.call('DEL', KEYS[2])
            for _, entry in ipairs(kept) do redis.call('XADD', KEYS[2], entry[1], unpack(entry[2])) end
            return 1
            """,
            [$"{Prefix}:{{{channel}}}:meta", $"{Prefix}:{{{channel}}}:stream"],
            [toOffset]);
    }

    /// <summary>Pauses every server (SIGSTOP) until the handle is disposed.</summary>
    protected Task<IAsyncDisposable?> PauseAllAsync()
    {
        var servers = Servers.ToList();
        foreach (var server in servers)
        {
            server.Pause();
        }

        return Task.FromResult<IAsyncDisposable?>(new Resumption(servers));
    }

    private sealed class Resumption(List<RedisServer> servers) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            foreach (var server in servers)
            {
                server.Resume();
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class NullObserver : IEngineObserver
    {
        public void EngineError(string engine, string errorType)
        {
        }

        public void BackgroundError(string task, string errorType)
        {
        }
    }
}
