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
}
