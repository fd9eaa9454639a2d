namespace Broadcast.Client;

/// <summary>How frames travel between the client and the server (docs/protocol.md).</summary>
public enum ClientEncoding
{
    /// <summary>JSON text frames, subprotocol <c>broadcast.v2</c>.</summary>
    Json,

    /// <summary>MessagePack in binary frames, subprotocol <c>broadcast.v2.msgpack</c>: smaller frames, the same protocol.</summary>
    MessagePack,
}
