namespace Broadcast.Server.Engines;

/// <summary>Which engine holds channel state: <c>Broadcast:Engine</c>.</summary>
public enum EngineKind
{
    /// <summary>In this process: one node, nothing to install (the default).</summary>
    Memory,

    /// <summary>A Redis server shared by several nodes.</summary>
    Redis,
}
