namespace Broadcast.Server.Transport;

/// <summary>What did not fit in a client's outbound queue when it was closed as a slow consumer.</summary>
public enum OverflowCause
{
    /// <summary>A live publication, on a channel whose policy disconnects (the default).</summary>
    Live,

    /// <summary>A reply, error or notice (history page, presence, ack, join/leave…): never dropped, so the client is closed.</summary>
    Reply,
}
