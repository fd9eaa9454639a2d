namespace Broadcast.Server.Transport;

/// <summary>A frame waiting in a connection's queue.</summary>
/// <param name="Bytes">The payload, shared with every other recipient: never changed once queued.</param>
/// <param name="Kind">Live frames count toward the queue's bound; replayed and control frames do not.</param>
/// <param name="PublishedUtcTicks">For a publication's frame, when it was accepted (for delivery metrics); 0 for any other frame.</param>
/// <param name="Source">Where a live frame came from (a channel subscription); lets a drop policy find that source's frames.</param>
/// <param name="Compressed">The bytes are a permessage-deflate message (RSV1 set on its frame); only for a connection that negotiated it.</param>
public readonly record struct OutboundFrame(
    ReadOnlyMemory<byte> Bytes,
    OutboundFrameKind Kind,
    long PublishedUtcTicks = 0,
    IFrameSource? Source = null,
    bool Compressed = false);
