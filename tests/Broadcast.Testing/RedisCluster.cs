using System.Globalization;

namespace Broadcast.Testing;

/// <summary>
/// A real Redis Cluster on loopback: 3 masters and 3 replicas (<c>redis-server --cluster-enabled yes</c>,
/// <c>redis-cli --cluster create … --cluster-replicas 1</c>), without persistence. Nodes can be killed and
/// started again (a failover), their replication cut (a lagging replica), or the whole cluster flushed.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    /// <summary>cluster-node-timeout: how long a master may be silent before its replica takes over (the failover tests wait about this).</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly List<RedisServer> _nodes = [];

    private RedisCluster(string directory)
    {
        _directory = directory;
    }

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>Every node, for StackExchange.Redis (it finds the masters and follows failovers).</summary>
    public string Configuration => string.Join(',', _nodes.Select(node => node.Configuration));

    /// <summary>Makes a cluster; a try that lost a port to another process on the machine (they are picked free, then bound) is made again.</summary>
    public static async Task<RedisCluster> StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync();
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Another try, on other ports.
            }
        }
    }

    private static async Task<RedisCluster> TryStartAsync()
    {
        var cluster = new RedisCluster(Directory.CreateTempSubdirectory("broadcast-cluster-").FullName);
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var port = RedisServer.FreeClusterPort();
                cluster._nodes.Add(await RedisServer.StartAsync(arguments:
                [
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", Path.Combine(cluster._directory, $"nodes-{port}.conf"),
                    // A replica writes the RDB of a full sync to its directory; one shared with other servers would load it at their start.
                    "--dir", Directory.CreateDirectory(Path.Combine(cluster._directory, port.ToString(CultureInfo.InvariantCulture))).FullName,
                    "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                    // A replica may take over however long its link was down: the lagging-replica test cuts it on purpose.
                    "--cluster-replica-validity-factor", "0",
                ], port: port));
            }

            var created = await RedisCli.RunAsync(cluster._nodes[0].Port, ["--cluster", "create", .. cluster._nodes.Select(n => n.Configuration), "--cluster-replicas", "1", "--cluster-yes"]);
            if (!created.Contains("All 16384 slots covered", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("redis-cli --cluster create failed:\n" + created);
            }

            await cluster.WaitHealthyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts every killed node again and waits until the cluster is whole: every node up and agreeing that
    /// the cluster is ok, 3 masters each with a replica whose link is up.
    /// </summary>
    public async Task WaitHealthyAsync()
    {
        foreach (var node in _nodes.Where(node => !node.IsRunning))
        {
            await node.StartAgainAsync();
        }

        await Eventually.TrueAsync(
            async () =>
            {
                foreach (var node in _nodes)
                {
                    if (!(await node.CliAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                var topology = await TopologyAsync();
                return topology.Count(n => n.IsMaster) == 3
                    && topology.Where(n => n.IsMaster).All(master => topology.Any(r => r.MasterId == master.Id && r.Connected))
                    && await ReplicasInSyncAsync(topology);
            },
            Generous,
            "the Redis Cluster to be whole (3 masters, each with a replica in sync)");
    }

    /// <summary>The master that holds <paramref name="hashTag"/>'s slot (a channel name: its keys are tagged <c>{channel}</c>), and its replica.</summary>
    public async Task<(RedisServer Master, RedisServer Replica)> NodesForAsync(string hashTag)
    {
        var slot = int.Parse((await _nodes[0].CliAsync("CLUSTER", "KEYSLOT", hashTag)).Trim(), CultureInfo.InvariantCulture);
        var topology = await TopologyAsync();
        var master = topology.Single(n => n.IsMaster && n.Slots.Any(range => range.From <= slot && slot <= range.To));
        var replica = topology.First(n => n.MasterId == master.Id);
        return (NodeAt(master.Port), NodeAt(replica.Port));
    }

    /// <summary>
    /// Makes <paramref name="replica"/> lag behind <paramref name="master"/> for good: once it has everything
    /// written so far, it is paused (SIGSTOP) and the master drops its link, so whatever is written next lives
    /// on the master alone (asynchronous replication allows that). <see cref="RedisServer.Resume"/> it once the
    /// master is gone, and it takes over without those writes.
    /// </summary>
    public async Task LagReplicaAsync(RedisServer master, RedisServer replica)
    {
        await Eventually.TrueAsync(
            async () =>
            {
                var info = await master.CliAsync("INFO", "replication");
                var offset = Field(info, "master_repl_offset:");
                return offset is not null && info.Contains($",offset={offset},", StringComparison.Ordinal);
            },
            Generous,
            "the replica to have every write of its master");
        replica.Pause();
        await master.CliAsync("CLIENT", "KILL", "TYPE", "replica");
    }

    private static string? Field(string info, string name)
    {
        var line = info.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line?[name.Length..].Trim();
    }

    /// <summary>FLUSHALL on every master (replicas follow): the cluster lost every key, and every link stays up.</summary>
    public async Task FlushAllAsync()
    {
        foreach (var master in (await TopologyAsync()).Where(n => n.IsMaster))
        {
            await RedisCli.RunAsync(master.Port, "FLUSHALL");
        }
    }

    private RedisServer NodeAt(int port) => _nodes.Single(n => n.Port == port);

    private async Task<bool> ReplicasInSyncAsync(IReadOnlyList<ClusterNode> topology)
    {
        foreach (var replica in topology.Where(n => !n.IsMaster))
        {
            if (!(await RedisCli.RunAsync(replica.Port, "INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<IReadOnlyList<ClusterNode>> TopologyAsync()
    {
        var running = _nodes.First(n => n.IsRunning);
        var lines = (await running.CliAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return [.. lines.Select(ClusterNode.Parse).Where(n => !n.Failed)];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One line of <c>CLUSTER NODES</c>: id, address, flags, master, link state, slots.</summary>
    private sealed record ClusterNode(string Id, int Port, bool IsMaster, bool Failed, string? MasterId, bool Connected, IReadOnlyList<(int From, int To)> Slots)
    {
        public static ClusterNode Parse(string line)
        {
            var fields = line.Split(' ');
            var address = fields[1].Split('@')[0];
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            var flags = fields[2].Split(',');
            var slots = fields.Skip(8).Where(f => !f.StartsWith('[')).Select(f =>
            {
                var range = f.Split('-');
                var from = int.Parse(range[0], CultureInfo.InvariantCulture);
                return (from, range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : from);
            }).ToList();
            return new ClusterNode(
                fields[0],
                port,
                flags.Contains("master"),
                flags.Contains("fail") || flags.Contains("fail?") || flags.Contains("noaddr"),
                fields[3] == "-" ? null : fields[3],
                fields[7] == "connected",
                slots);
        }
    }
}
