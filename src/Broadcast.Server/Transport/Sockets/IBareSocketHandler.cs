using System.Net;
using Broadcast.Server.Transport.RawWebSockets;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// What the connection layer decides for the sockets <see cref="BareSocketListener"/> accepts: which it looks
/// at, and how an upgrade of the WebSocket path is served. The listener does the mechanics (accept, peek,
/// hand-off to Kestrel, close); this says yes or no.
/// </summary>
internal interface IBareSocketHandler
{
    /// <summary>The path whose upgrades are served on the bare socket.</summary>
    string Path { get; }

    /// <summary>How long a connection may take to send its first request head (<c>Broadcast:Limits:HandshakeTimeout</c>).</summary>
    TimeSpan HandshakeTimeout { get; }

    /// <summary>How long, at shutdown, the sessions on bare sockets get to finish their close before they are aborted.</summary>
    TimeSpan ShutdownWait { get; }

    /// <summary>
    /// A new socket from <paramref name="remote"/> to <paramref name="localPort"/>: looked at (its place
    /// counted until <see cref="Leave"/>), handed to Kestrel untouched, or closed at once.
    /// </summary>
    SocketAdmission Admit(IPAddress? remote, int localPort);

    /// <summary>
    /// A socket <see cref="Admit"/> let in leaves the listener (closed, or handed on to Kestrel, which counts it
    /// itself); <paramref name="sessionRan"/> when a session of <see cref="UpgradeAsync"/> ran on it (its admission ends too).
    /// </summary>
    void Leave(IPAddress? remote, bool sessionRan);

    /// <summary>
    /// Answers the upgrade <paramref name="request"/> (peeked, not yet consumed) on <paramref name="socket"/>:
    /// a 101 and the WebSocket session it starts, or a refusal. Completes once it is answered, so that only the
    /// listener's own wait stays suspended for the session's whole life (one state machine per idle client, not two).
    /// </summary>
    Task<BareUpgradeOutcome> UpgradeAsync(BareSocket socket, UpgradeRequest request);
}
