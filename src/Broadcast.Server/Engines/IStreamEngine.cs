namespace Broadcast.Server.Engines;

/// <summary>
/// A channel's stream, shared by every node of a deployment: offsets, history and idempotency, and the
/// routing of publications to the nodes that subscribed. Implemented by <c>Engines/Memory</c> (one node, the
/// default) and <c>Engines/Redis</c> (several nodes); each hands publications to this node's <see cref="IEngineListener"/>.
/// </summary>
/// <remarks>
/// The contract, which every implementation must meet. tests/Broadcast.Server.Tests/Engines/EngineContractTests.cs
/// is one suite run against each engine (a new engine adds a subclass there):
/// <list type="bullet">
/// <item><b>Offsets.</b> <see cref="PublishAsync"/> gives each publication on a channel the offset after the
/// previous one (1, 2, 3, … with no gaps) within the channel's current epoch. The epoch changes only when
/// the channel's history was lost; offsets then start again at 1.</item>
/// <item><b>Ordering.</b> Every node's listener receives a channel's publications in offset order.</item>
/// <item><b>Delivery.</b> A publication is handed to every node that called <see cref="SubscribeNodeAsync"/>
/// for its channel at the time of publishing, at most once, and to no other node. Delivery that fails (a node
/// cut off from the engine) is not retried by the engine: clients recover what they missed from history with
/// <see cref="ReadHistoryAsync"/>, which is why history, not delivery, is the durable record.</item>
/// <item><b>Idempotency.</b> A publish with the same (origin, message id) on the same channel within the
/// idempotency window is not published again; it returns the first publish's position with
/// <see cref="PublishResult.Duplicate"/> set.</item>
/// <item><b>Order of commands.</b> Calls made one after another by one caller take effect in that order
/// even when the caller does not wait for each (a client's pipelined publishes keep their order).</item>
/// <item><b>Failure.</b> When the engine cannot do what was asked it throws
/// <see cref="EngineUnavailableException"/> promptly; it never buffers without bound or blocks a caller
/// indefinitely.</item>
/// </list>
/// </remarks>
public interface IStreamEngine
{
    /// <summary>Assigns the next offset, appends to history and delivers to subscribed nodes.</summary>
    ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken);

    /// <summary>
    /// Publications with offsets greater than <paramref name="sinceOffset"/>, oldest first, at most
    /// <paramref name="limit"/> (zero reads only the position), with the channel's position read atomically with them.
    /// </summary>
    ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Called after a local subscriber was added (the listener's <see cref="IEngineListener.HasLocalSubscribers"/> says so):
    /// when it returns, this node receives the channel's publications. Safe to call for every subscriber; only the first does any work.
    /// </summary>
    ValueTask SubscribeNodeAsync(string channel, CancellationToken cancellationToken);

    /// <summary>Called after the channel's last local subscriber left: stop delivering it to this node.</summary>
    ValueTask UnsubscribeNodeAsync(string channel, CancellationToken cancellationToken);

    /// <summary>True when the engine can serve requests now (readiness). Never throws.</summary>
    ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken);
}
