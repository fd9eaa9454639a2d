using System.Net.WebSockets;

namespace Broadcast.Server.Transport;

/// <summary>Why and how the server ends a connection.</summary>
/// <param name="Status">The close code sent to the client.</param>
/// <param name="Reason">The close reason sent to the client (at most 123 bytes of UTF-8).</param>
/// <param name="DrainFirst">Send what is already queued before the close frame (graceful shutdown), or drop it (slow consumer).</param>
/// <param name="AbortAfter">Abort the socket if the close handshake has not finished by then.</param>
public sealed record CloseRequest(WebSocketCloseStatus Status, string Reason, bool DrainFirst, TimeSpan AbortAfter)
{
    /// <summary>
    /// The connection was already gone when the server ended it (a write failed, the request was aborted): the
    /// close is never read, and logs and metrics say <c>connection_lost</c> whichever way the session then ends.
    /// </summary>
    public bool PeerGone { get; init; }

    /// <summary>Label used in logs and metrics.</summary>
    public string Label => PeerGone ? "connection_lost" : Status switch
    {
        WebSocketCloseStatus.NormalClosure => "normal",
        WebSocketCloseStatus.EndpointUnavailable => "going_away",
        WebSocketCloseStatus.PolicyViolation => "policy_violation",
        WebSocketCloseStatus.MessageTooBig => "message_too_big",
        WebSocketCloseStatus.InvalidPayloadData => "invalid_payload",
        WebSocketCloseStatus.ProtocolError => "protocol_error",
        _ => ((int)Status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
