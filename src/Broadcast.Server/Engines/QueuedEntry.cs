namespace Broadcast.Server.Engines;

/// <summary>One entry of an <see cref="IDeliveryQueue"/>: its queue id (what acknowledging names) and its bytes.</summary>
public sealed record QueuedEntry(string Id, byte[] Data);
