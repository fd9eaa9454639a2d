namespace Broadcast.Client;

/// <summary>What a pending request does when its connection ends before the reply.</summary>
internal enum RequestKind
{
    /// <summary>Dropped: every subscription is sent again, with a fresh position, on the next connection.</summary>
    Subscribe,

    /// <summary>Done: the next connection simply does not subscribe again.</summary>
    Unsubscribe,

    /// <summary>Sent again with the same id; the server acknowledges a repeat as a duplicate.</summary>
    Publish,

    /// <summary>Sent again (history, presence): reading twice is harmless.</summary>
    Read,

    /// <summary>Sent again (a token refresh): presenting the same token twice is harmless.</summary>
    Auth,

    /// <summary>Never sent twice (asking the backend twice may not be safe): fails with <c>connection_lost</c>. One not yet sent waits for the next connection.</summary>
    Rpc,
}
