using Broadcast.Server.Channels;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol.V2;

/// <summary>The channel frames of <c>broadcast.v2</c> (JSON, docs/protocol.md).</summary>
public sealed class V2Encoding : IChannelEncoding
{
    public int Slot => EncodingSlots.V2Json;

    public byte[] Encode(Publication publication) => ServerFrames.Publication(publication);

    public ReadOnlyMemory<byte> Unrecovered(string channel, StreamPosition position) => ServerFrames.Unrecovered(channel, position);

    public ReadOnlyMemory<byte> PresenceEvent(bool joined, string channel, PresenceMember member) => ServerFrames.PresenceEvent(joined, channel, member);

    public ReadOnlyMemory<byte> Dropped(string channel, int count) => ServerFrames.Dropped(channel, count);
}
