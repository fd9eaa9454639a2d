namespace Broadcast.Server.Transport;

/// <summary>The transports' names, as metrics (<c>broadcast.transport</c>) and logs show them.</summary>
public static class TransportNames
{
    /// <summary>Either WebSocket stack (Kestrel's or the connection-level one): the same wire.</summary>
    public const string WebSocket = "websocket";

    /// <summary><c>GET /stream</c> with <c>POST /stream/send</c>.</summary>
    public const string HttpStream = "http_stream";

    /// <summary><c>GET /sse</c>.</summary>
    public const string ServerSentEvents = "sse";
}
