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
    /// <summary>Expired members one sweep script drops (512 in production): small, so a test's few members take several pages.</summary>
    private const int SweepPage = 4;

    /// <summary>Channels the sweep reads from its index per call (256 in production): small, so a test's few channels take several pages.</summary>
    private const int IndexPage = 16;

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
            SweepMemberPage = SweepPage,
            SweepBatchSize = IndexPage,
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
        const int Lasting = 8 * IndexPage;
        const int Dead = 2 * IndexPage;
        var (keeper, bystander) = (await NodeAsync(), await NodeAsync());
        var (keeperSaw, bystanderSaw) = (new RecordingExpiryObserver(), new RecordingExpiryObserver());
        keeper.Presence.ObserveExpiry(keeperSaw);
        bystander.Presence.ObserveExpiry(bystanderSaw);

        // A live node's channels: they stay in the index, more of them than one page holds, also on each shard. It
        // sweeps too, and may be the one that finds the dead node's members: what it reports counts as well.
        var holder = await NodeAsync();
        var holderSaw = new RecordingExpiryObserver();
        holder.Presence.ObserveExpiry(holderSaw);
        await JoinEachAsync(holder, Enumerable.Range(0, Lasting).Select(_ => Channel()));

        // Channels only the doomed node used: only the sweep can find its members there.
        var doomed = await CreateNodeAsync(DefaultOptions());
        var lonely = Enumerable.Range(0, Dead).Select(_ => Channel()).ToList();
        await JoinEachAsync(doomed, lonely);

        // A join puts its channel in the index before it stores the member: every channel is there when the node dies.
        Assert.True(await AllIndexedAsync(lonely), "the dead node's channels are in the index");
        await doomed.DisposeAsync();

        IReadOnlyList<(string Channel, PresenceMember Member, bool Vacated)> Reports() => [.. keeperSaw.Reports, .. bystanderSaw.Reports, .. holderSaw.Reports];
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

    /// <summary>
    /// A dead node's member is reported left, once, even when no sweep ran until long after the member expired: past
    /// the two member lifetimes after which its keys used to expire by themselves, taking it away unreported (here no
    /// node at all is up meanwhile; a sweep held back by retries or an outage is the same to Redis).
    /// </summary>
    [Fact]
    public async Task A_dead_node_s_member_is_reported_left_once_by_a_sweep_that_comes_long_after_it_expired()
    {
        var channel = Channel();
        var member = new PresenceMember("n:1", "p_ana", "Ana", "user-ana");
        var doomed = await CreateNodeAsync(DefaultOptions());
        await doomed.Presence.JoinAsync(channel, member, CancellationToken.None);
        await doomed.DisposeAsync();

        // On Redis' own clock: past two member lifetimes (PresenceTtl, 3 s here) after the member's last refresh.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(ConfigurationOf(channel));
        var db = redis.GetDatabase();
        var expiresAt = await db.SortedSetScoreAsync($"{Prefix}:{{{channel}}}:presence:exp", member.ClientKey);
        Assert.NotNull(expiresAt);
        await Eventually.TrueAsync(async () => await RedisNowMsAsync(db) > expiresAt + 4_000, Wait, "two member lifetimes to pass since the last refresh");

        var late = await NodeAsync();
        var saw = new RecordingExpiryObserver();
        late.Presence.ObserveExpiry(saw);
        await Eventually.TrueAsync(() => saw.Reports.Count >= 1, Wait, "the dead node's member to be reported");

        // Once: a read (which drops expired members too) and another node's sweeps find nothing more.
        var other = await NodeAsync();
        var otherSaw = new RecordingExpiryObserver();
        other.Presence.ObserveExpiry(otherSaw);
        Assert.Empty(await other.Presence.GetPresenceAsync(channel, CancellationToken.None));
        Assert.Equal([(channel, member, true)], saw.Reports);
        Assert.Empty(otherSaw.Reports);
    }

    /// <summary>
    /// The sweep drops a channel's expired members a page at a time (<see cref="SweepPage"/> here), and goes through
    /// every page: more of a dead node's members than a page holds are each reported left exactly once, and the
    /// channel vacated once, by its last page.
    /// </summary>
    [Fact]
    public async Task The_sweep_reports_every_expired_member_once_when_they_are_more_than_one_page()
    {
        const int Members = (3 * SweepPage) + 1;
        var channel = Channel();
        var keeper = await NodeAsync();
        var saw = new RecordingExpiryObserver();
        keeper.Presence.ObserveExpiry(saw);

        var doomed = await CreateNodeAsync(DefaultOptions());
        var members = Enumerable.Range(0, Members).Select(i => new PresenceMember($"n:{i}", $"p_{i}", null)).ToList();
        foreach (var member in members)
        {
            await doomed.Presence.JoinAsync(channel, member, CancellationToken.None);
        }

        await doomed.DisposeAsync();
        await Eventually.TrueAsync(() => saw.Reports.Count >= Members, Wait, $"all {Members} of the dead node's members to be reported");

        // A read drops expired members too: one left behind by a page would be reported now, a second time.
        Assert.Empty(await keeper.Presence.GetPresenceAsync(channel, CancellationToken.None));
        Assert.Equal(members.Select(member => member.ClientKey).Order(StringComparer.Ordinal), saw.Reports.Select(report => report.Member.ClientKey).Order(StringComparer.Ordinal));
        Assert.All(saw.Reports, report => Assert.Equal(channel, report.Channel));
        Assert.Single(saw.Reports, report => report.Vacated);
    }

    private static async Task<long> RedisNowMsAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
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
