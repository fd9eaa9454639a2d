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
        var engine = new RedisEngine(listener, TimeProvider.System, Options.Create(options), Options.Create(redis), _observer, retry, NullLogger<RedisEngine>.Instance);
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
