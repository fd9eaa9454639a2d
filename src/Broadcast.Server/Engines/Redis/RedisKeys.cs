using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// Every Redis key and pub/sub channel name the engine uses, built in one place. Every key one script touches
/// shares a hash tag, so a Redis Cluster keeps them in one slot: a channel's keys (and its sharded pub/sub
/// channel) carry <c>{channel}</c>, the node directory's <c>{nodes}</c>; a session owner is a single key.
/// Channel names cannot contain braces (see ChannelName), so a tag never ends early.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    /// <summary>Hash: <c>epoch</c> and the last assigned <c>offset</c>.</summary>
    public RedisKey Meta(string channel) => $"{prefix}:{{{channel}}}:meta";

    /// <summary>Stream of the channel's history; entry id <c>{offset}-1</c>, fields o (origin), t (µs), m (message).</summary>
    public RedisKey Stream(string channel) => $"{prefix}:{{{channel}}}:stream";

    /// <summary>String <c>epoch:offset</c> remembered for a (origin, message id) during the idempotency window.</summary>
    public RedisKey MessageId(string channel, string origin, string messageId) => $"{prefix}:{{{channel}}}:msgid:{origin}:{messageId}";

    /// <summary>Hash: client key → JSON of the presence member.</summary>
    public RedisKey Presence(string channel) => $"{prefix}:{{{channel}}}:presence";

    /// <summary>Sorted set: client key → expiry (Unix ms), refreshed by the node that holds the connection.</summary>
    public RedisKey PresenceExpiry(string channel) => $"{prefix}:{{{channel}}}:presence:exp";

    /// <summary>String: what one join or leave decided (its script's answer), kept a while so that running it again, after its answer was lost, returns the same.</summary>
    public RedisKey PresenceOutcome(string channel, string operation) => $"{prefix}:{{{channel}}}:presence:op:{operation}";

    /// <summary>
    /// Set: the channels with presence members on this shard, for the periodic sweep that finds a dead node's
    /// members when no live node uses the channel. Its own hash tag: it is read and changed by single commands,
    /// never inside a channel's script (that would cross slots).
    /// </summary>
    public RedisKey PresenceChannels() => $"{prefix}:{{presence-channels}}";

    /// <summary>String: the user (token <c>sub</c>) a session belongs to, by the session's public id.</summary>
    public RedisKey SessionOwner(string publicId) => $"{prefix}:session:{publicId}";

    /// <summary>Hash: node id → JSON of its latest <see cref="NodeReport"/>.</summary>
    public RedisKey Nodes() => $"{prefix}:{{nodes}}";

    /// <summary>Sorted set: node id → expiry of its report (Unix ms).</summary>
    public RedisKey NodesExpiry() => $"{prefix}:{{nodes}}:exp";

    /// <summary>Stream of a delivery queue's entries (webhook events), read by the consumer group <c>delivery</c>; its own hash tag.</summary>
    public RedisKey DeliveryQueue(string name) => $"{prefix}:{{queue:{name}}}:stream";

    /// <summary>
    /// Pub/sub channel carrying the channel's publications and presence events to subscribed nodes. Sharded, it
    /// carries the channel's hash tag (a script may SPUBLISH only within its keys' slot); classic, the name is
    /// the one earlier versions used, so nodes of both can run side by side on one Redis.
    /// </summary>
    public RedisChannel Events(string channel, bool sharded) =>
        sharded ? RedisChannel.Sharded($"{prefix}:{{{channel}}}:events") : RedisChannel.Literal($"{prefix}:events:{channel}");
}
