namespace Broadcast.Server.Engines;

/// <summary>What a node tells the rest of the deployment about itself (admin view's node list).</summary>
public sealed record NodeReport(
    string Id,
    DateTimeOffset StartedAt,
    string Engine,
    bool Ready,
    bool Draining,
    int Connections,
    int Channels,
    DateTimeOffset ReportedAt);
