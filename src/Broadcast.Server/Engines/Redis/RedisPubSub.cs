namespace Broadcast.Server.Engines.Redis;

/// <summary>Which Redis pub/sub carries publications to the nodes: <c>Broadcast:Redis:PubSub</c>.</summary>
public enum RedisPubSub
{
    /// <summary>Sharded on a Redis Cluster of version 7 or later, classic otherwise (decided when a shard first connects).</summary>
    Auto,

    /// <summary>PUBLISH/SUBSCRIBE: works everywhere; on a Cluster each publication is broadcast to every Redis node.</summary>
    Classic,

    /// <summary>SPUBLISH/SSUBSCRIBE (Redis 7): a publication goes only to the Redis node that owns its channel's slot.</summary>
    Sharded,
}
