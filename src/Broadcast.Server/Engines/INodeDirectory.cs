namespace Broadcast.Server.Engines;

/// <summary>
/// The nodes of the deployment, from the reports each leaves: the admin view's node list. Part of the
/// engine contract (tests/Broadcast.Server.Tests/Engines/EngineContractTests.cs).
/// </summary>
public interface INodeDirectory
{
    /// <summary>
    /// Records this node's latest report; reports older than the engine's expiry (a node that stopped
    /// reporting: crashed or cut off) drop out of <see cref="GetNodesAsync"/>.
    /// </summary>
    ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken);

    /// <summary>The latest report of every live node of the deployment.</summary>
    ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken);
}
