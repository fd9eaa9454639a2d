using Broadcast.Server.Channels;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol.Legacy;

/// <summary>
/// What a client of the original protocol can receive: <c>{"message","timestamp"}</c> broadcasts and
/// <c>{"error","code"}</c> errors, nothing else. It has no word for a lost history or presence, so those are empty.
/// </summary>
public sealed class LegacyEncoding : IChannelEncoding
{
    public int Slot => EncodingSlots.Legacy;

    public byte[] Encode(Publication publication) => BroadcastFrame.Build(publication.EscapedMessage, publication.TimestampUtc);

    public ReadOnlyMemory<byte> Unrecovered(string channel, StreamPosition position) => ReadOnlyMemory<byte>.Empty;

    public ReadOnlyMemory<byte> PresenceEvent(bool joined, string channel, PresenceMember member) => ReadOnlyMemory<byte>.Empty;

    public ReadOnlyMemory<byte> Dropped(string channel, int count) => ProtocolErrors.MessagesDropped.Frame;
}
