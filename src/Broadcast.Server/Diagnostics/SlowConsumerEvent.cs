namespace Broadcast.Server.Diagnostics;

/// <summary>One client closed with 1008 because its outbound queue overflowed, as the admin view lists it.</summary>
/// <param name="Time">When it happened (UTC).</param>
/// <param name="ConnectionId">The connection's id on this node, as in the logs.</param>
/// <param name="RemoteAddress">The client's address, as Kestrel saw it.</param>
/// <param name="Capacity">The queue capacity it exceeded.</param>
public sealed record SlowConsumerEvent(DateTimeOffset Time, long ConnectionId, string? RemoteAddress, int Capacity);
