namespace Broadcast.Bench.Net;

/// <summary>The outcome of one connect-and-upgrade attempt.</summary>
public readonly record struct ConnectResult(HandshakeStatus Status, RawWebSocket? Socket, string? Error);
