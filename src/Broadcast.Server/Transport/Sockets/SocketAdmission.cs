namespace Broadcast.Server.Transport.Sockets;

/// <summary>What becomes of a socket just accepted (<see cref="IBareSocketHandler.Admit"/>).</summary>
internal enum SocketAdmission
{
    /// <summary>Peek at its first request: an upgrade of the WebSocket path is served on the bare socket.</summary>
    Inspect,

    /// <summary>Straight to Kestrel, untouched (a trusted proxy: only Kestrel's pipeline reads forwarded headers).</summary>
    HandOff,

    /// <summary>Closed at once, nothing read (over a socket limit).</summary>
    Close,
}
