namespace Broadcast.Server.Connections;

/// <summary>A frame waiting in a connection's queue; replayed frames do not count toward the live bound.</summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Bytes, bool CountsAsLive);
