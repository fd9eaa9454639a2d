using Broadcast.Server.Engines.Redis;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>The engine contract on one Redis; losing the data is a restart of Redis without persistence.</summary>
public sealed class RedisEngineContractTests : RedisContractTests
{
    private RedisServer? _redis;

    private RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis has not started.");

    protected override IEnumerable<RedisServer> Servers => [Redis];

    public override async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    protected override RedisOptions Deployment() => new() { Configuration = Redis.Configuration };

    protected override string ConfigurationOf(string channel) => Redis.Configuration;

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

    protected override Task<IAsyncDisposable?> StallAsync() => PauseAllAsync();
}
