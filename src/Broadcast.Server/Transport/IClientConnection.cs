using System.Net;

namespace Broadcast.Server.Transport;

/// <summary>
/// One client's connection as the connection layer drives it, whatever carries it: its outbound queue
/// (<see cref="Frames"/>), its inbound messages, whole and within the size limits, and its end. A transport
/// does the framing, the control frames and the close handshake; the connection layer sees messages only.
/// </summary>
public interface IClientConnection : IDisposable
{
    /// <summary>The connection's id on this node, as in the logs.</summary>
    long Id { get; }

    IPAddress? RemoteAddress { get; }

    /// <summary>Which transport carries it (<see cref="TransportNames"/>): metrics count connections by it.</summary>
    string Transport { get; }

    /// <summary>Where the connection's frames are queued (the session's sink).</summary>
    IFrameSink Frames { get; }

    /// <summary>Set once the server decided to close this connection; null while it is healthy.</summary>
    CloseRequest? CloseRequest { get; }

    /// <summary>The close code the client sent, once a close frame arrived from it (for metrics and logs).</summary>
    int? PeerCloseStatus { get; }

    /// <summary>
    /// The next complete message, a message refused for its size or fragments (the connection is already
    /// being closed), or the end of the connection. A message's payload is valid until the next call.
    /// Throws when the connection breaks in a way only the transport can tell (a reset, an abort).
    /// </summary>
    ValueTask<ReceivedMessage> ReceiveAsync();

    /// <summary>
    /// Completes once <see cref="ReceiveAsync"/> has bytes to work on, or the connection ended: the receive loop
    /// waits here while the client is idle, so a transport whose wait is the socket's own (the connection-level
    /// one: a zero-byte receive) keeps no suspended receive of its own per idle connection. May throw what the
    /// socket throws when the connection breaks (<see cref="System.Net.Sockets.SocketException"/>,
    /// <see cref="ObjectDisposedException"/>); the <see cref="ReceiveAsync"/> that follows reports the end.
    /// The count means nothing. By default complete at once: <see cref="ReceiveAsync"/> waits itself.
    /// </summary>
    ValueTask<int> WaitToReceiveAsync() => default;

    /// <summary>Completes once everything the connection will send, its close frame included, was written (or the socket was aborted).</summary>
    Task WhenWrittenAsync();
}
