using Xunit;

namespace Broadcast.Testing;

/// <summary>
/// Which engine a test suite runs against. The channel suites are written once and run on each:
/// the in-memory engine, and the Redis engine with a real redis-server per suite.
/// </summary>
public abstract class EngineUnderTest : IAsyncLifetime
{
    public abstract string Name { get; }

    /// <summary>Settings that select and configure the engine; each call gets a fresh key space.</summary>
    public abstract IReadOnlyDictionary<string, string?> Settings(string? keySpace = null);

    /// <summary>Starts a server on this engine. Servers started with the same <paramref name="keySpace"/> share channels (nodes of one cluster).</summary>
    public async Task<RunningServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, string? keySpace = null)
    {
        var merged = new Dictionary<string, string?>(Settings(keySpace));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        return await RunningServer.StartAsync(merged);
    }

    /// <summary>The same settings as environment variables, for a server started as its own process (<see cref="ServerProcess"/>).</summary>
    public IReadOnlyDictionary<string, string> Environment(string? keySpace = null) =>
        Settings(keySpace).Where(entry => entry.Value is not null).ToDictionary(entry => entry.Key.Replace(":", "__", StringComparison.Ordinal), entry => entry.Value!);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    public override string ToString() => Name;
}

public sealed class MemoryEngineUnderTest : EngineUnderTest
{
    public override string Name => "memory";

    public override IReadOnlyDictionary<string, string?> Settings(string? keySpace = null) => new Dictionary<string, string?>();
}

public sealed class RedisEngineUnderTest : EngineUnderTest
{
    private RedisServer? _redis;

    public override string Name => "redis";

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis has not started.");

    public override IReadOnlyDictionary<string, string?> Settings(string? keySpace = null) => new Dictionary<string, string?>
    {
        ["Broadcast:Engine"] = "Redis",
        ["Broadcast:Redis:Configuration"] = Redis.Configuration,
        ["Broadcast:Redis:Prefix"] = keySpace ?? "t" + Guid.NewGuid().ToString("N")[..12],
    };

    public override async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public override async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary>Three independent redis-server processes as shards (<c>Broadcast:Redis:Shards</c>).</summary>
public sealed class RedisShardsUnderTest : EngineUnderTest
{
    private readonly List<RedisServer> _shards = [];

    public override string Name => "redis-shards";

    public IReadOnlyList<RedisServer> Shards => _shards;

    public override IReadOnlyDictionary<string, string?> Settings(string? keySpace = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Broadcast:Engine"] = "Redis",
            ["Broadcast:Redis:Prefix"] = keySpace ?? "t" + Guid.NewGuid().ToString("N")[..12],
        };
        for (var i = 0; i < _shards.Count; i++)
        {
            settings[$"Broadcast:Redis:Shards:{i}"] = _shards[i].Configuration;
        }

        return settings;
    }

    public override async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            _shards.Add(await RedisServer.StartAsync());
        }
    }

    public override async Task DisposeAsync()
    {
        foreach (var shard in _shards)
        {
            await shard.DisposeAsync();
        }
    }
}

/// <summary>A Redis Cluster made elsewhere (a shared fixture): this only names it, and never stops it.</summary>
public sealed class RedisClusterUnderTest(RedisCluster cluster) : EngineUnderTest
{
    public override string Name => "redis-cluster";

    public RedisCluster Cluster => cluster;

    public override IReadOnlyDictionary<string, string?> Settings(string? keySpace = null) => new Dictionary<string, string?>
    {
        ["Broadcast:Engine"] = "Redis",
        ["Broadcast:Redis:Configuration"] = cluster.Configuration,
        ["Broadcast:Redis:Prefix"] = keySpace ?? "t" + Guid.NewGuid().ToString("N")[..12],
    };
}
