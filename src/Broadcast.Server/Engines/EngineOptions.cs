namespace Broadcast.Server.Engines;

/// <summary>Which engine holds channel state: the root key <c>Broadcast:Engine</c>.</summary>
public sealed class EngineOptions
{
    public const string Section = "Broadcast";

    /// <summary>Where channel state lives: <c>Memory</c> (one node, the default) or <c>Redis</c> (several nodes).</summary>
    public EngineKind Engine { get; set; } = EngineKind.Memory;
}
