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
        // Publications are nearly every frame: their fixed opening is read without a JSON reader.
        if (TryReadPublication(frame, out var publication))
        {
            return publication;
        }

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

    /// <summary>
    /// A publication frame as the extended protocol writes it, <c>{"type":"pub","channel":"…","offset":N,"epoch":"…"</c>
    /// (a channel name and an epoch never need escaping); false for anything else, which the JSON reader then reads.
    /// </summary>
    private static bool TryReadPublication(ReadOnlySpan<byte> frame, out SseFrameFields fields)
    {
        fields = default;
        ReadOnlySpan<byte> opening = "{\"type\":\"pub\",\"channel\":\""u8;
        if (!frame.StartsWith(opening))
        {
            return false;
        }

        var rest = frame[opening.Length..];
        var quote = rest.IndexOf((byte)'"');
        if (quote <= 0 || rest[..quote].IndexOf((byte)'\\') >= 0)
        {
            return false;
        }

        var channel = rest[..quote];
        rest = rest[quote..];
        if (!rest.StartsWith("\",\"offset\":"u8) || !System.Buffers.Text.Utf8Parser.TryParse(rest["\",\"offset\":"u8.Length..], out long offset, out var digits))
        {
            return false;
        }

        rest = rest[("\",\"offset\":"u8.Length + digits)..];
        if (!rest.StartsWith(",\"epoch\":\""u8))
        {
            return false;
        }

        rest = rest[",\"epoch\":\""u8.Length..];
        quote = rest.IndexOf((byte)'"');
        if (quote <= 0)
        {
            return false;
        }

        fields = new SseFrameFields { Type = "pub"u8, Channel = channel, Epoch = rest[..quote], Offset = offset, HasOffset = true };
        return true;
    }
}
