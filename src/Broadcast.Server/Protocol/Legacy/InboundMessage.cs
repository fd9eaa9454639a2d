namespace Broadcast.Server.Protocol.Legacy;

/// <summary>
/// The result of parsing one inbound text frame: either the message text, kept as the raw
/// JSON-escaped bytes between its quotes (so it can be copied into the broadcast frame without
/// decoding and re-encoding), or the error to send back.
/// </summary>
public readonly ref struct InboundMessage
{
    private InboundMessage(ReadOnlySpan<byte> escapedText, ProtocolError? error)
    {
        EscapedText = escapedText;
        Error = error;
    }

    /// <summary>The message's JSON string content, still escaped exactly as the client sent it.</summary>
    public ReadOnlySpan<byte> EscapedText { get; }

    public ProtocolError? Error { get; }

    public bool IsValid => Error is null;

    public static InboundMessage Valid(ReadOnlySpan<byte> escapedText) => new(escapedText, null);

    public static InboundMessage Invalid(ProtocolError error) => new(default, error);
}
