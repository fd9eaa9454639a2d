using Broadcast.Server.Channels;

namespace Broadcast.Server.Engines;

/// <summary>
/// The state channels share across the nodes of a deployment: offsets, history, idempotency keys and
/// presence, and the delivery of publications to every node with subscribers. Two implementations:
/// <see cref="Memory.MemoryEngine"/> (one node, the default) and the Redis engine (several nodes).
/// </summary>
/// <remarks>
/// The contract, which both implementations must meet (tests/Broadcast.Server.Tests/Engines runs one
/// suite against each):
/// <list type="bullet">
/// <item><b>Offsets.</b> <see cref="PublishAsync"/> gives each publication on a channel the offset after the
/// previous one (1, 2, 3, … with no gaps) within the channel's current epoch. The epoch changes only when
/// the channel's history was lost; offsets then start again at 1.</item>
/// <item><b>Ordering.</b> Every node's <see cref="ChannelHub"/> receives a channel's publications in
/// offset order.</item>
/// <item><b>Delivery.</b> A publication is handed to every node that called <see cref="SubscribeNodeAsync"/>
/// for its channel at the time of publishing, at most once. Delivery that fails (a node cut off from the
/// engine) is not retried by the engine: clients recover what they missed from history with
/// <see cref="ReadHistoryAsync"/>, which is why history, not delivery, is the durable record.</item>
/// <item><b>Idempotency.</b> A publish with the same (origin, message id) on the same channel within the
/// idempotency window is not published again; it returns the first publish's position with
/// <see cref="PublishResult.Duplicate"/> set.</item>
/// <item><b>Failure.</b> When the engine cannot do what was asked it throws
/// <see cref="EngineUnavailableException"/> promptly; it never buffers without bound or blocks a caller
/// indefinitely.</item>
/// </list>
/// </remarks>
public interface IEngine
{
    /// <summary>Assigns the next offset, appends to history and delivers to subscribed nodes.</summary>
    ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, byte[] escapedMessage, CancellationToken cancellationToken);

    /// <summary>
    /// Publications with offsets greater than <paramref name="sinceOffset"/>, oldest first, at most
    /// <paramref name="limit"/> (zero reads only the position), with the channel's position read atomically with them.
    /// </summary>
    ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Called after a local subscriber was added to the hub: when it returns, this node receives the
    /// channel's publications. Safe to call for every subscriber; only the first does any work.
    /// </summary>
    ValueTask SubscribeNodeAsync(string channel, CancellationToken cancellationToken);

    /// <summary>Called after the channel's last local subscriber left the hub: stop delivering it to this node.</summary>
    ValueTask UnsubscribeNodeAsync(string channel, CancellationToken cancellationToken);

    /// <summary>Adds a presence member and tells every node's subscribers of the channel that it joined.</summary>
    ValueTask JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken);

    /// <summary>Removes a presence member and tells every node's subscribers of the channel that it left.</summary>
    ValueTask LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken);

    /// <summary>The channel's presence members on every node.</summary>
    ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken);

    /// <summary>
    /// Records this node's latest report; reports older than the engine's expiry (a node that stopped
    /// reporting: crashed or cut off) drop out of <see cref="GetNodesAsync"/>.
    /// </summary>
    ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken);

    /// <summary>The latest report of every live node of the deployment.</summary>
    ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken);

    /// <summary>True when the engine can serve requests now (readiness). Never throws.</summary>
    ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken);
}
