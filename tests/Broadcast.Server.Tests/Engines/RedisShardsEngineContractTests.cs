using Broadcast.Server.Engines.Redis;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The engine contract on three independent Redis servers (<c>Broadcast:Redis:Shards</c>): every channel lives
/// on one of them, and every promise holds as on one Redis.
/// </summary>
public sealed class RedisShardsEngineContractTests : RedisContractTests
{
    private readonly List<RedisServer> _shards = [];

    protected override IEnumerable<RedisServer> Servers => _shards;

    public override async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            _shards.Add(await RedisServer.StartAsync());
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var shard in _shards)
        {
            await shard.DisposeAsync();
        }
    }

    protected override RedisOptions Deployment() => new() { Shards = [.. _shards.Select(s => s.Configuration)] };

    protected override string ConfigurationOf(string channel) => _shards[ShardPlacement.ShardOf(channel, _shards.Count)].Configuration;

    protected override async Task<EngineNode> LoseDataAsync(EngineNode node)
    {
        foreach (var shard in _shards)
        {
            await shard.StopAsync();
            await shard.StartAgainAsync();
        }

        await Eventually.TrueAsync(async () => await node.Stream.IsAvailableAsync(CancellationToken.None), TimeSpan.FromSeconds(30), "the engine to reconnect to every shard");
        return node;
    }

    protected override async Task<bool> MakeUnavailableAsync()
    {
        foreach (var shard in _shards)
        {
            await shard.StopAsync();
        }

        return true;
    }

    protected override Task<IAsyncDisposable?> StallAsync() => PauseAllAsync();
}
