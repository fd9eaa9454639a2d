using Broadcast.Server.Engines;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// An engine that passes every call to <paramref name="inner"/>; tests derive from it and override the one
/// call whose behaviour they change (a fault, a race), so the rest of the server runs on a real engine.
/// </summary>
internal abstract class DelegatingEngine(Broadcast.Server.Engines.Memory.MemoryEngine inner) : IStreamEngine, IPresenceEngine, INodeDirectory
{
    protected Broadcast.Server.Engines.Memory.MemoryEngine Inner => inner;

    public virtual ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken) =>
        inner.PublishAsync(channel, origin, messageId, payload, cancellationToken);

    public virtual ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken) =>
        inner.ReadHistoryAsync(channel, sinceOffset, limit, cancellationToken);

    public ValueTask SubscribeNodeAsync(string channel, CancellationToken cancellationToken) => inner.SubscribeNodeAsync(channel, cancellationToken);

    public ValueTask UnsubscribeNodeAsync(string channel, CancellationToken cancellationToken) => inner.UnsubscribeNodeAsync(channel, cancellationToken);

    public ValueTask<PresenceChange> JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken) => inner.JoinAsync(channel, member, cancellationToken);

    public ValueTask<PresenceChange> LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken) => inner.LeaveAsync(channel, member, cancellationToken);

    public ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken) => inner.GetPresenceAsync(channel, cancellationToken);

    public ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken) => inner.IsAvailableAsync(cancellationToken);

    public virtual ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken) => inner.ReportNodeAsync(report, cancellationToken);

    public ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken) => inner.GetNodesAsync(cancellationToken);
}
