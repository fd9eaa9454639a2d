using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The nodes a proxy suite runs on: one server on the memory engine (both "nodes" are it), or two servers sharing
/// one Redis, so each proxy is also shown to work with its client on one node and the others on another.
/// </summary>
internal sealed class ProxyNodes : IAsyncDisposable
{
    private ProxyNodes(RunningServer a, RunningServer b)
    {
        A = a;
        B = b;
    }

    /// <summary>The node the proxied client uses.</summary>
    public RunningServer A { get; }

    /// <summary>The node the other clients use (A itself on the memory engine).</summary>
    public RunningServer B { get; }

    public static async Task<ProxyNodes> StartAsync(EngineUnderTest engine, IReadOnlyDictionary<string, string?> settings)
    {
        if (engine is not RedisEngineUnderTest)
        {
            var single = await engine.StartAsync(settings);
            return new ProxyNodes(single, single);
        }

        var keySpace = "p" + Guid.NewGuid().ToString("N")[..12];
        var a = await engine.StartAsync(settings, keySpace);
        var b = await engine.StartAsync(settings, keySpace);
        return new ProxyNodes(a, b);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        if (!ReferenceEquals(A, B))
        {
            await B.DisposeAsync();
        }
    }
}
