namespace Broadcast.Bench.Net;

/// <summary>How an attempt to open a WebSocket ended.</summary>
public enum HandshakeStatus
{
    Connected,

    /// <summary>The server answered 503 before the upgrade: a clean refusal (shutting down, or out of capacity).</summary>
    Refused,

    /// <summary>Any other HTTP status instead of 101.</summary>
    Rejected,

    /// <summary>TCP connect, send or receive failed, or the handshake timed out.</summary>
    Failed,
}
