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
