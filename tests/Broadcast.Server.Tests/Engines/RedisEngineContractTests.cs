using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Redis;
using Broadcast.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The engine contract on the Redis engine, against a real <c>redis-server</c>: several engine instances
/// sharing a key prefix are several nodes; losing the data is a restart of Redis without persistence.
/// </summary>
public sealed class RedisEngineContractTests : DistributedEngineContractTests
{
    private readonly string _prefix = "contract" + Guid.NewGuid().ToString("N")[..8];
    private readonly NullObserver _observer = new();
    private RedisServer? _redis;

    private RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis has not started.");

    public override async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    protected override Task<EngineNode> CreateNodeAsync(StreamOptions options)
    {
        var listener = new RecordingListener();
        var redis = Options.Create(new RedisOptions { Configuration = Redis.Configuration, Prefix = _prefix, OperationTimeout = TimeSpan.FromSeconds(1) });
        var retry = new BackgroundRetry(_observer, NullLogger<BackgroundRetry>.Instance, TimeProvider.System);
        var engine = new RedisEngine(listener, TimeProvider.System, Options.Create(options), redis, _observer, retry, NullLogger<RedisEngine>.Instance);
        return Task.FromResult(new EngineNode(engine, listener));
    }

    protected override async Task<EngineNode> LoseDataAsync(EngineNode node)
    {
        // Restarted without persistence: every key is gone. The same node carries on once it reconnected.
        await Redis.StopAsync();
        await Redis.StartAgainAsync();
        await Eventually.TrueAsync(async () => await node.Stream.IsAvailableAsync(CancellationToken.None), TimeSpan.FromSeconds(30), "the engine to reconnect");
        return node;
    }

    protected override async Task<bool> MakeUnavailableAsync()
    {
        await Redis.StopAsync();
        return true;
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
