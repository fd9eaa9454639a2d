using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Engines.Redis;

/// <summary>The Redis engine: the <c>Broadcast:Redis</c> section.</summary>
public sealed class RedisOptions
{
    public const string Section = "Broadcast:Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>, <c>redis1:6379,password=…</c>, or
    /// several nodes of one Redis Cluster (<c>redis1:6379,redis2:6379</c>: the client finds the rest).
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Several independent Redis servers (or clusters), one configuration string each: every channel lives on
    /// one of them, chosen by a stable hash of its name; the node directory and session owners live on the
    /// first. Instead of <see cref="Configuration"/>, for deployments without Redis Cluster.
    /// </summary>
    public string[] Shards { get; set; } = [];

    /// <summary>Prefix of every key and pub/sub channel, so several deployments can share one Redis.</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$", ErrorMessage = "Broadcast:Redis:Prefix must be 1 to 64 characters of A-Z, a-z, 0-9 and _ . : -.")]
    public string Prefix { get; set; } = "broadcast";

    /// <summary>How long a node's presence entries outlive it if it dies without removing them.</summary>
    [Range(typeof(TimeSpan), "00:00:03", "01:00:00", ErrorMessage = "Broadcast:Redis:PresenceTtl must be between {1} and {2}.")]
    public TimeSpan PresenceTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an operation may wait for Redis before it fails (publishes then get an error, not a hang).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Broadcast:Redis:OperationTimeout must be between {1} and {2}.")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Pub/sub flavour: <c>Auto</c> (sharded on a Redis 7 Cluster, classic otherwise), <c>Classic</c>
    /// (PUBLISH: on a Cluster every publication crosses every Redis node) or <c>Sharded</c> (SPUBLISH, Redis 7).
    /// Every node of a deployment must use the same one.
    /// </summary>
    public RedisPubSub PubSub { get; set; } = RedisPubSub.Auto;

    /// <summary>
    /// Replicas that must confirm a publication before its ack (Redis <c>WAIT</c>); 0 acks as soon as the
    /// master has it. With 1 or more, a failover that promotes a confirmed replica cannot lose an acknowledged
    /// publication; a publish that is not confirmed in <see cref="SyncTimeout"/> is answered <c>publish_unknown</c>.
    /// </summary>
    [Range(0, 16, ErrorMessage = "Broadcast:Redis:SyncReplicas must be between {1} and {2}.")]
    public int SyncReplicas { get; set; }

    /// <summary>How long a publish waits for <see cref="SyncReplicas"/> confirmations.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30", ErrorMessage = "Broadcast:Redis:SyncTimeout must be between {1} and {2}.")]
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The configuration string of every shard: <see cref="Shards"/>, or <see cref="Configuration"/> alone.</summary>
    internal IReadOnlyList<string> ShardConfigurations() =>
        Shards.Length > 0 ? Shards : string.IsNullOrWhiteSpace(Configuration) ? [] : [Configuration];
}
