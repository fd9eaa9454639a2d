namespace Broadcast.Server.Protocol;

/// <summary>
/// Every error a client can receive, in one place. The codes are part of the protocol
/// (docs/protocol.md lists them, and the clients mirror them): never rename one.
/// </summary>
public static class ProtocolErrors
{
    public static readonly ProtocolError InvalidJson = ProtocolError.Define(
        "invalid_json", "Invalid JSON: send a JSON object such as {\"message\": \"text\"}.");

    public static readonly ProtocolError NotAnObject = ProtocolError.Define(
        "not_an_object", "Expected a JSON object such as {\"message\": \"text\"}.");

    public static readonly ProtocolError MessageMissing = ProtocolError.Define(
        "message_missing", "Field 'message' is required.");

    public static readonly ProtocolError MessageNotString = ProtocolError.Define(
        "message_not_string", "Field 'message' must be a string.");

    public static readonly ProtocolError MessageEmpty = ProtocolError.Define(
        "message_empty", "Field 'message' must not be empty.");

    public static readonly ProtocolError BinaryNotSupported = ProtocolError.Define(
        "binary_not_supported", "Binary frames are not supported: send JSON in text frames.");

    public static IReadOnlyList<ProtocolError> All { get; } =
    [
        InvalidJson, NotAnObject, MessageMissing, MessageNotString, MessageEmpty, BinaryNotSupported,
    ];
}
