using System.Text.Json;

namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>
/// What an SSE writer needs of an outgoing frame: its <c>type</c> (the event's name) and, for the frames
/// that move a channel's position, its <c>channel</c>, <c>epoch</c>, <c>offset</c> and <c>recovered</c>.
/// Read from the top level of the frame's JSON without allocating; a publication's fields come first in
/// its frame, so the reader stops after them.
/// </summary>
internal readonly ref struct SseFrameFields
{
    public ReadOnlySpan<byte> Type { get; init; }

    public ReadOnlySpan<byte> Channel { get; init; }

    public ReadOnlySpan<byte> Epoch { get; init; }

    public long Offset { get; init; }

    public bool HasOffset { get; init; }

    public bool Recovered { get; init; }

    public static SseFrameFields Read(ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<byte> type = default, channel = default, epoch = default;
        long offset = 0;
        bool hasOffset = false, recovered = false;
        var reader = new Utf8JsonReader(frame);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                if (!reader.Read())
                {
                    break;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
                else if (name.SequenceEqual("type"u8) && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    type = reader.ValueSpan;
                }
                else if (name.SequenceEqual("channel"u8) && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    channel = reader.ValueSpan;
                }
                else if (name.SequenceEqual("epoch"u8) && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    epoch = reader.ValueSpan;
                }
                else if (name.SequenceEqual("offset"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    hasOffset = reader.TryGetInt64(out offset);
                }
                else if (name.SequenceEqual("recovered"u8))
                {
                    recovered = reader.TokenType == JsonTokenType.True;
                }

                // A publication's own fields are all read: the rest (its message) is not needed.
                if (type.SequenceEqual("pub"u8) && !channel.IsEmpty && !epoch.IsEmpty && hasOffset)
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON the writer understands: it goes out as an event named by what was read.
        }

        return new SseFrameFields { Type = type, Channel = channel, Epoch = epoch, Offset = offset, HasOffset = hasOffset, Recovered = recovered };
    }
}
