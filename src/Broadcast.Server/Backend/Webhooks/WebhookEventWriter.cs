using System.Buffers;
using System.Text.Json;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// Writes one webhook event as UTF-8 JSON: <c>id</c> (unique, the receiver's deduplication key), <c>type</c>,
/// <c>time</c> (ISO-8601 UTC, when it happened), <c>channel</c>, then what the type carries (docs/integration.md).
/// </summary>
internal static class WebhookEventWriter
{
    public static byte[] Channel(string type, string channel, DateTimeOffset time) => Write(type, channel, time, static (_, _) => { }, (object?)null);

    public static byte[] Member(string type, string channel, PresenceMember member, DateTimeOffset time) => Write(type, channel, time, static (writer, member) =>
    {
        writer.WriteStartObject("member");
        writer.WriteString("client", member!.ClientKey);
        writer.WriteString("session", member.Session);
        WriteOptional(writer, "name", member.Name);
        WriteOptional(writer, "user", member.User);
        writer.WriteEndObject();
    }, member);

    /// <summary>The payload under the name a v2 <c>pub</c> gives it: <c>message</c>, <c>data</c> (the JSON as published) or <c>bytes</c> (base64).</summary>
    public static byte[] Publication(string channel, string origin, StreamPosition position, PublicationPayload payload, DateTimeOffset time) => Write(WebhookEventTypes.Publication, channel, time, static (writer, state) =>
    {
        var (origin, position, payload) = state;
        writer.WriteString("epoch", position.Epoch);
        writer.WriteNumber("offset", position.Offset);
        writer.WriteString("session", origin);
        switch (payload.Kind)
        {
            case PayloadKind.Data:
                writer.WritePropertyName("data");
                writer.WriteRawValue(payload.Bytes, skipInputValidation: true);
                break;
            case PayloadKind.Bytes:
                writer.WriteBase64String("bytes", payload.Bytes);
                break;
            default:
                // Already JSON-escaped by the publish path: written as it is, between quotes.
                var quoted = new byte[payload.Bytes.Length + 2];
                quoted[0] = (byte)'"';
                payload.Bytes.CopyTo(quoted, 1);
                quoted[^1] = (byte)'"';
                writer.WritePropertyName("message");
                writer.WriteRawValue(quoted, skipInputValidation: true);
                break;
        }
    }, (origin, position, payload));

    /// <summary>The <c>time</c> an event was written with (for its age), read back from its bytes.</summary>
    public static DateTimeOffset TimeOf(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                return reader.GetDateTimeOffset();
            }
        }

        throw new FormatException("A webhook event without a time.");
    }

    private static byte[] Write<TState>(string type, string channel, DateTimeOffset time, Action<Utf8JsonWriter, TState> body, TState state)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", Guid.CreateVersion7(time).ToString("N"));
            writer.WriteString("type", type);
            writer.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("channel", channel);
            body(writer, state);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
