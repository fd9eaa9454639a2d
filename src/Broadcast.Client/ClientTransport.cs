namespace Broadcast.Client;

/// <summary>How the client reaches the server (docs/protocol.md): both speak the same <c>broadcast.v2</c> frames.</summary>
public enum ClientTransport
{
    /// <summary><c>/ws/events</c> with the <c>broadcast.v2</c> subprotocol.</summary>
    WebSocket,

    /// <summary>
    /// <c>GET /stream</c> (the server's frames, one per line) and <c>POST /stream/send</c> (the client's), for
    /// networks that break WebSocket upgrades. The same URI is given (<c>ws://host/ws/events</c>): the client
    /// derives <c>http://host/stream</c> from it.
    /// </summary>
    HttpStreaming,
}
