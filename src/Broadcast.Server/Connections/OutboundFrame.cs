namespace Broadcast.Server.Connections;

/// <summary>A frame waiting in a connection's queue; replayed frames do not count toward the live bound.</summary>
/// <param name="PublishedUtcTicks">For a publication's frame, when it was accepted (for delivery metrics); 0 for any other frame.</param>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Bytes, bool CountsAsLive, long PublishedUtcTicks = 0);
