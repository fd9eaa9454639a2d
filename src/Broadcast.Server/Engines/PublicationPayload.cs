namespace Broadcast.Server.Engines;

/// <summary>
/// The content of a publication: one kind and its bytes, as the engine stores them and every encoding reads
/// them. Never re-serialized: a <see cref="PayloadKind.Data"/> payload is the JSON its publisher wrote, byte for byte.
/// </summary>
public readonly record struct PublicationPayload(PayloadKind Kind, byte[] Bytes)
{
    /// <summary>A message as escaped JSON string content: what every publish was before <c>data</c> and <c>bytes</c> (callers that publish text pass the bytes as they always did).</summary>
    public static implicit operator PublicationPayload(byte[] escapedMessage) => new(PayloadKind.Message, escapedMessage ?? throw new ArgumentNullException(nameof(escapedMessage)));

    public static PublicationPayload Message(byte[] escapedMessage) => new(PayloadKind.Message, escapedMessage);

    public static PublicationPayload Data(byte[] json) => new(PayloadKind.Data, json);

    public static PublicationPayload Binary(byte[] bytes) => new(PayloadKind.Bytes, bytes);

    /// <summary>The bytes this payload takes in a JSON frame at most (base64 for binary), for the sizing of history pages and memory bounds.</summary>
    public long JsonLength => Kind == PayloadKind.Bytes ? ((Bytes.Length + 2L) / 3) * 4 : Bytes.Length;
}
