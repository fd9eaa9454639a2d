using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Protocol.V2;

namespace Broadcast.Server.Protocol.MessagePack;

/// <summary>
/// <c>broadcast.v2.msgpack</c>: the extended protocol with every frame in MessagePack, in binary WebSocket frames
/// (docs/protocol.md). The requests and answers are those of <c>broadcast.v2</c>, field for field: a client's map is
/// read as the equivalent JSON object and answered by the same handler; its replies are re-encoded on their way
/// out (the session's frames go through <see cref="FromJson"/>); publications are encoded once each by <see cref="MessagePackEncoding"/>.
/// </summary>
internal sealed class MessagePackDialect(V2Dialect requests, MessagePackEncoding encoding) : IClientDialect
{
    public const string MessagePackSubprotocol = "broadcast.v2.msgpack";

    public string Name => "v2-msgpack";

    public string? Subprotocol => MessagePackSubprotocol;

    public IChannelEncoding Encoding => encoding;

    public bool IsBinary => true;

    /// <summary>A reply of the shared handler, re-encoded for this client (replies are one client's: never on the fan-out path).</summary>
    public ReadOnlyMemory<byte> FromJson(ReadOnlyMemory<byte> jsonFrame) => JsonToMessagePack.Frame(jsonFrame);

    public ValueTask OpenAsync(ClientSession session) => requests.OpenAsync(session);

    public ValueTask HandleAsync(ClientSession session, ReadOnlySpan<byte> message, bool isBinary)
    {
        // Malformed input is answered like malformed JSON on broadcast.v2 (in order, counted against the request budget).
        var json = isBinary ? MessagePackToJson.TryConvert(message.ToArray()) : null;
        var request = json is null
            ? new ClientRequest { Error = isBinary ? ProtocolErrors.InvalidMessagePack : ProtocolErrors.TextNotSupported }
            : ClientRequestParser.Parse(json);
        return requests.Handle(session, request);
    }
}
