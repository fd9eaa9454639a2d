namespace Broadcast.Server.Connections;

/// <summary>A frame waiting in a connection's queue.</summary>
/// <param name="Bytes">The payload, shared with every other recipient: never changed once queued.</param>
/// <param name="Kind">Live frames count toward the queue's bound; replayed and control frames do not.</param>
/// <param name="PublishedUtcTicks">For a publication's frame, when it was accepted (for delivery metrics); 0 for any other frame.</param>
/// <param name="Source">The subscription a publication was queued for; lets a drop policy find the channel's frames.</param>
internal readonly record struct OutboundFrame(
    ReadOnlyMemory<byte> Bytes,
    OutboundFrameKind Kind,
    long PublishedUtcTicks = 0,
    Channels.Subscription? Source = null);

internal enum OutboundFrameKind : byte
{
    /// <summary>A reply, error or notice: never dropped, not counted.</summary>
    Control,

    /// <summary>A live publication: counted against the queue's capacity.</summary>
    Live,

    /// <summary>A publication replayed from history: bounded by the history, so not counted.</summary>
    Replay,

    /// <summary>A live publication removed by a drop policy; skipped by the writer.</summary>
    Dropped,
}
