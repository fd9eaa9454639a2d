using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// One Redis Cluster (3 masters, 3 replicas) shared by every test class of the <c>redis-cluster</c> collection:
/// making one costs seconds, so it is made once, and the classes that use it run one after another. A test
/// that fails a node over leaves the cluster whole again (<see cref="RedisCluster.WaitHealthyAsync"/>).
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private RedisCluster? _cluster;

    public RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public async Task InitializeAsync() => _cluster = await RedisCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}
