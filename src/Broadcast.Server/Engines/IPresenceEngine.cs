namespace Broadcast.Server.Engines;

/// <summary>
/// Who is subscribed to a channel, across every node, and the join/leave events every node's subscribers
/// are told about (through each node's <see cref="IEngineListener.DeliverPresence"/>). Part of the engine
/// contract (see <see cref="IStreamEngine"/>; tests/Broadcast.Server.Tests/Engines/EngineContractTests.cs).
/// </summary>
public interface IPresenceEngine
{
    /// <summary>Adds a presence member and tells every node's subscribers of the channel that it joined; says whether that made the channel occupied.</summary>
    ValueTask<PresenceChange> JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken);

    /// <summary>Removes a presence member and tells every node's subscribers of the channel that it left; says whether that left the channel vacated.</summary>
    ValueTask<PresenceChange> LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken);

    /// <summary>The channel's presence members on every node.</summary>
    ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken);

    /// <summary>
    /// Sets who is told about expired members this node removed outside <see cref="JoinAsync"/> and <see cref="LeaveAsync"/>
    /// (those say so in their <see cref="PresenceChange.Expired"/>). By default nothing: in an engine whose members live
    /// in one process (memory), members never expire; they go with their connection, or with the whole process.
    /// </summary>
    void ObserveExpiry(IPresenceExpiryObserver observer)
    {
    }
}
