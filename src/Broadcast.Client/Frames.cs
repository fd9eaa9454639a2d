using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Broadcast.Client;

/// <summary>Builds the client's outbound frames as UTF-8 JSON.</summary>
internal static class Frames
{
    // Non-ASCII text stays as UTF-8 rather than \uXXXX escapes: frames are not HTML, and escapes would
    // triple the size that counts against the server's maxMessageBytes.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Hello(string? session, string? name) => Write(w =>
    {
        w.WriteString("type", "hello");
        WriteIfNotNull(w, "session", session);
        WriteIfNotNull(w, "name", name);
    });

    public static byte[] Auth(string id, string token) => Write(w =>
    {
        w.WriteString("type", "auth");
        w.WriteString("id", id);
        w.WriteString("token", token);
    });

    public static byte[] Subscribe(string id, string channel, string? sinceEpoch, long sinceOffset, bool presence) => Write(w =>
    {
        w.WriteString("type", "subscribe");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
        if (sinceEpoch is not null)
        {
            w.WriteStartObject("since");
            w.WriteString("epoch", sinceEpoch);
            w.WriteNumber("offset", sinceOffset);
            w.WriteEndObject();
        }

        if (presence)
        {
            w.WriteBoolean("presence", true);
        }
    });

    public static byte[] Unsubscribe(string id, string channel) => Write(w =>
    {
        w.WriteString("type", "unsubscribe");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
    });

    public static byte[] Publish(string id, string channel, string message) => Write(w =>
    {
        w.WriteString("type", "publish");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
        w.WriteString("message", message);
    });

    /// <summary>A publish of <c>data</c>: <paramref name="json"/> is one JSON value, written as it is.</summary>
    public static byte[] PublishData(string id, string channel, ReadOnlyMemory<byte> json) => Write(w =>
    {
        w.WriteString("type", "publish");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
        w.WritePropertyName("data");
        w.WriteRawValue(json.Span);
    });

    public static byte[] PublishBytes(string id, string channel, ReadOnlyMemory<byte> bytes) => Write(w =>
    {
        w.WriteString("type", "publish");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
        w.WriteBase64String("bytes", bytes.Span);
    });

    public static byte[] History(string id, string channel, long since, int limit) => Write(w =>
    {
        w.WriteString("type", "history");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
        w.WriteNumber("since", since);
        w.WriteNumber("limit", limit);
    });

    public static byte[] Rpc(string id, string method, JsonElement? data) => Write(w =>
    {
        w.WriteString("type", "rpc");
        w.WriteString("id", id);
        w.WriteString("method", method);
        if (data is { } value)
        {
            w.WritePropertyName("data");
            value.WriteTo(w);
        }
    });

    public static byte[] Presence(string id, string channel) => Write(w =>
    {
        w.WriteString("type", "presence");
        w.WriteString("id", id);
        w.WriteString("channel", channel);
    });

    private static void WriteIfNotNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
