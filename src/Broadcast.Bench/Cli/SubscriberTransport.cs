namespace Broadcast.Bench.Cli;

/// <summary>How subscribers reach the server (publishers always use WebSocket): the fallbacks of issue #15 against WebSocket.</summary>
public enum SubscriberTransport
{
    /// <summary>The subscriber is a WebSocket like every other connection.</summary>
    WebSocket,

    /// <summary><c>GET /stream</c> (frames one per line) with a <c>POST /stream/send</c> of hello and subscribe; needs <c>--protocol v2</c>.</summary>
    HttpStream,

    /// <summary><c>GET /sse?channel=…</c>: the server writes each frame as a Server-Sent Event.</summary>
    Sse,
}
