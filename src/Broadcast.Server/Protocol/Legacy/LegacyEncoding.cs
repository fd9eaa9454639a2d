using Broadcast.Server.Channels;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol.Legacy;

/// <summary>
/// What a client of the original protocol can receive: <c>{"message","timestamp"}</c> broadcasts and
/// <c>{"error","code"}</c> errors, nothing else. It has no word for a lost history or presence, so those are empty,
/// nor for structured or binary payloads: a publication with <c>data</c> reaches it as <c>message</c> = the data's JSON
/// text, one with <c>bytes</c> as <c>message</c> = their base64 (docs/protocol.md).
/// </summary>
public sealed class LegacyEncoding : IChannelEncoding
{
    public int Slot => EncodingSlots.Legacy;

    public byte[] Encode(Publication publication) => BroadcastFrame.Build(PayloadText.Escaped(publication.Payload), publication.TimestampUtc);

    public ReadOnlyMemory<byte> Unrecovered(string channel, StreamPosition position) => ReadOnlyMemory<byte>.Empty;

    public ReadOnlyMemory<byte> PresenceEvent(bool joined, string channel, PresenceMember member) => ReadOnlyMemory<byte>.Empty;

    public ReadOnlyMemory<byte> Dropped(string channel, int count) => ProtocolErrors.MessagesDropped.Frame;
}
