namespace Broadcast.Bench.Cli;

/// <summary>The workloads the load tool can drive.</summary>
public enum Scenario
{
    /// <summary>N subscribers, P publishers sharing a fixed total rate.</summary>
    Fanout,

    /// <summary>Every client publishes at a fixed rate and receives everyone else's messages.</summary>
    Chat,

    /// <summary>Many connections that only listen; a slow probe checks they are still served.</summary>
    Idle,

    /// <summary>Open connections as fast as possible, then close them.</summary>
    Storm,
}
