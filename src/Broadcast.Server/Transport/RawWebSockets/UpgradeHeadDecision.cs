namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>What the first bytes of a connection are, as <see cref="UpgradeRequestReader.Inspect"/> tells.</summary>
internal enum UpgradeHeadDecision
{
    /// <summary>A prefix of an upgrade head, not yet complete.</summary>
    NeedMore,

    /// <summary>Anything but a clean upgrade of the path: Kestrel's HTTP pipeline answers it.</summary>
    NotOurs,

    /// <summary>A complete, well-formed WebSocket upgrade of the path.</summary>
    Upgrade,
}
