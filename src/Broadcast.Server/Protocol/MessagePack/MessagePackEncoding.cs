using System.Buffers;
using System.Text.Json;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol.V2;
using MessagePack;

namespace Broadcast.Server.Protocol.MessagePack;

/// <summary>
/// The channel frames of <c>broadcast.v2.msgpack</c>: the frames of <c>broadcast.v2</c> as MessagePack maps with the
/// same keys. A publication's frame is written directly with <see cref="MessagePackWriter"/>, once per publication
/// in its slot (<see cref="EncodingSlots.V2MessagePack"/>), and shared by every MessagePack recipient.
/// </summary>
public sealed class MessagePackEncoding : IChannelEncoding
{
    public int Slot => EncodingSlots.V2MessagePack;

    public byte[] Encode(Publication publication)
    {
        var buffer = new ArrayBufferWriter<byte>(publication.Payload.Bytes.Length + 160);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(7);
        writer.Write("type");
        writer.Write("pub");
        writer.Write("channel");
        writer.Write(publication.Channel);
        writer.Write("offset");
        writer.Write(publication.Offset);
        writer.Write("epoch");
        writer.Write(publication.Epoch);
        writer.Write("origin");
        writer.Write(publication.Origin);
        writer.Write("timestamp");
        var timestamp = new byte[WireTimestamp.Length];
        WireTimestamp.Write(publication.TimestampUtc, timestamp);
        writer.WriteString(timestamp);
        WritePayload(ref writer, publication.Payload);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public ReadOnlyMemory<byte> Unrecovered(string channel, StreamPosition position) => JsonToMessagePack.Frame(ServerFrames.Unrecovered(channel, position));

    public ReadOnlyMemory<byte> PresenceEvent(bool joined, string channel, PresenceMember member) => JsonToMessagePack.Frame(ServerFrames.PresenceEvent(joined, channel, member));

    public ReadOnlyMemory<byte> Dropped(string channel, int count) => JsonToMessagePack.Frame(ServerFrames.Dropped(channel, count));

    /// <summary><c>message</c> as a string, <c>data</c> as the MessagePack equivalent of its JSON, <c>bytes</c> as bin.</summary>
    private static void WritePayload(ref MessagePackWriter writer, PublicationPayload payload)
    {
        switch (payload.Kind)
        {
            case PayloadKind.Data:
                writer.Write("data");
                JsonToMessagePack.Value(ref writer, payload.Bytes);
                break;
            case PayloadKind.Bytes:
                writer.Write("bytes");
                writer.Write(payload.Bytes);
                break;
            default:
                writer.Write("message");
                WriteMessage(ref writer, payload.Bytes);
                break;
        }
    }

    /// <summary>A message is stored as escaped JSON string content: without a backslash those are its UTF-8 bytes already.</summary>
    private static void WriteMessage(ref MessagePackWriter writer, byte[] escaped)
    {
        if (escaped.AsSpan().IndexOf((byte)'\\') < 0)
        {
            writer.WriteString(escaped);
            return;
        }

        var reader = new Utf8JsonReader((byte[])[(byte)'"', .. escaped, (byte)'"']);
        reader.Read();
        writer.Write(reader.GetString());
    }
}
