namespace Broadcast.Server.Transport;

/// <summary>How the outbound queue counts and treats a frame.</summary>
public enum OutboundFrameKind : byte
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
