using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol.V2;

/// <summary>Serializes every frame the server sends in the extended protocol (docs/protocol.md).</summary>
public static class ServerFrames
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Frames are JSON for programs, never embedded in HTML, so non-ASCII text stays readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>
    /// The answer to hello: <paramref name="sessionToken"/> is the client's secret, <paramref name="publicId"/> what
    /// others see; what the connection may do (<paramref name="permissions"/>) and who it is (<paramref name="user"/>,
    /// the token's <c>sub</c>), so a client offers only what it may use; and the server's clock (<paramref name="nowUtc"/>).
    /// </summary>
    /// <param name="data">JSON the application's backend gave for the client when it connected (the connect proxy); left out when none.</param>
    public static byte[] Welcome(string sessionToken, string publicId, bool resumed, string node, int maxMessageBytes, int maxChannels, ChannelPermissions permissions, string? user, DateTime nowUtc, byte[]? data = null) => Write(writer =>
    {
        writer.WriteString("type"u8, "welcome"u8);
        writer.WriteString("session"u8, sessionToken);
        writer.WriteString("publicId"u8, publicId);
        writer.WriteBoolean("resumed"u8, resumed);
        writer.WriteNumber("protocol"u8, 2);
        writer.WriteString("node"u8, node);
        writer.WriteStartObject("limits"u8);
        writer.WriteNumber("maxMessageBytes"u8, maxMessageBytes);
        writer.WriteNumber("maxChannels"u8, maxChannels);
        writer.WriteEndObject();
        WritePermissions(writer, permissions);
        writer.WriteString("user"u8, user);
        WriteTime(writer, nowUtc);
        if (data is not null)
        {
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(data, skipInputValidation: true);
        }
    });

    /// <summary>The answer to an <c>rpc</c> request: the backend's <c>data</c> (raw JSON), or <c>null</c>.</summary>
    public static byte[] Rpc(string? id, byte[]? data) => Write(writer =>
    {
        writer.WriteString("type"u8, "rpc"u8);
        WriteId(writer, id);
        writer.WritePropertyName("data"u8);
        if (data is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(data, skipInputValidation: true);
        }
    });

    public static byte[] Subscribed(string? id, string channel, StreamPosition position, bool? recovered, int missed) => Write(writer =>
    {
        writer.WriteString("type"u8, "subscribed"u8);
        WriteId(writer, id);
        writer.WriteString("channel"u8, channel);
        writer.WriteString("epoch"u8, position.Epoch);
        writer.WriteNumber("offset"u8, position.Offset);
        if (recovered is { } value)
        {
            writer.WriteBoolean("recovered"u8, value);
            writer.WriteNumber("missed"u8, missed);
        }
    });

    /// <summary>
    /// The answer to an <c>unsubscribe</c> request, or, with <paramref name="reason"/> and no id, the notice that
    /// the server ended a subscription by itself (a refreshed token no longer allows the channel).
    /// </summary>
    public static byte[] Unsubscribed(string? id, string channel, ProtocolError? reason = null) => Write(writer =>
    {
        writer.WriteString("type"u8, "unsubscribed"u8);
        WriteId(writer, id);
        writer.WriteString("channel"u8, channel);
        if (reason is not null)
        {
            writer.WriteString("code"u8, reason.Code);
            writer.WriteString("error"u8, reason.Text);
        }
    });

    public static byte[] Publication(Publication publication) => Write(publication.Payload.JsonLength + 224, writer =>
    {
        writer.WriteString("type"u8, "pub"u8);
        writer.WriteString("channel"u8, publication.Channel);
        writer.WriteNumber("offset"u8, publication.Offset);
        writer.WriteString("epoch"u8, publication.Epoch);
        WritePublicationFields(writer, publication);
    });

    public static byte[] Unrecovered(string channel, StreamPosition position) => Write(writer =>
    {
        writer.WriteString("type"u8, "unrecovered"u8);
        writer.WriteString("channel"u8, channel);
        writer.WriteString("epoch"u8, position.Epoch);
        writer.WriteNumber("offset"u8, position.Offset);
    });

    /// <summary>
    /// Tells a subscriber that <paramref name="count"/> publications of the channel were dropped because it
    /// reads too slowly (the channel's slow-consumer policy drops rather than disconnects). The offsets of
    /// the publications that follow show the gap; history has the missing ones while they last.
    /// </summary>
    public static byte[] Dropped(string channel, int count) => Write(writer =>
    {
        writer.WriteString("type"u8, "dropped"u8);
        writer.WriteString("channel"u8, channel);
        writer.WriteNumber("count"u8, count);
    });

    /// <summary>The answer to an accepted <c>auth</c> request: who the connection now is, until when, and what the new token allows.</summary>
    public static byte[] Authenticated(string? id, string? user, DateTimeOffset expires, ChannelPermissions permissions) => Write(writer =>
    {
        writer.WriteString("type"u8, "authenticated"u8);
        WriteId(writer, id);
        writer.WriteString("user"u8, user);
        writer.WriteString("expires"u8, expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        WritePermissions(writer, permissions);
    });

    /// <summary>Where a publish landed, and the server's clock when it answered (<paramref name="nowUtc"/>: the publication was stamped before it).</summary>
    public static byte[] Ack(string? id, string channel, StreamPosition position, bool duplicate, DateTime nowUtc) => Write(writer =>
    {
        writer.WriteString("type"u8, "ack"u8);
        WriteId(writer, id);
        writer.WriteString("channel"u8, channel);
        writer.WriteString("epoch"u8, position.Epoch);
        writer.WriteNumber("offset"u8, position.Offset);
        writer.WriteBoolean("duplicate"u8, duplicate);
        WriteTime(writer, nowUtc);
    });

    public static byte[] Error(ProtocolError error, string? id, string? channel) => Write(writer =>
    {
        writer.WriteString("type"u8, "error"u8);
        WriteId(writer, id);
        if (channel is not null)
        {
            writer.WriteString("channel"u8, channel);
        }

        writer.WriteString("code"u8, error.Code);
        writer.WriteString("error"u8, error.Text);
    });

    public static byte[] History(string? id, string channel, HistoryPage page) => Write(writer =>
    {
        writer.WriteString("type"u8, "history"u8);
        WriteId(writer, id);
        WriteHistoryBody(writer, channel, page);
    });

    /// <summary>
    /// <c>GET /api/connect-check</c>'s answer when an upgrade of the same request would be accepted: who it would
    /// be and what it could do, the fields of <see cref="Welcome"/>.
    /// </summary>
    public static byte[] ConnectCheckAnswer(string? user, ChannelPermissions permissions, DateTime nowUtc) => Write(writer =>
    {
        writer.WriteBoolean("ok"u8, true);
        writer.WriteString("user"u8, user);
        WritePermissions(writer, permissions);
        WriteTime(writer, nowUtc);
    });

    /// <summary>The HTTP API's history answer: the WebSocket reply's body, byte for byte, so both are bounded alike.</summary>
    public static byte[] HistoryAnswer(string channel, HistoryPage page) => Write(writer => WriteHistoryBody(writer, channel, page));

    public static byte[] Presence(string? id, string channel, IReadOnlyCollection<PresenceMember> members) => Write(writer =>
    {
        writer.WriteString("type"u8, "presence"u8);
        WriteId(writer, id);
        WritePresenceBody(writer, channel, members);
    });

    public static byte[] PresenceEvent(bool joined, string channel, PresenceMember member) => Write(writer =>
    {
        writer.WriteString("type"u8, joined ? "join"u8 : "leave"u8);
        writer.WriteString("channel"u8, channel);
        writer.WriteString("session"u8, member.Session);
        writer.WriteString("name"u8, member.Name);
        WriteUser(writer, member);
    });

    /// <summary>The body shared by the WebSocket reply and the HTTP API's history answer.</summary>
    public static void WriteHistoryBody(Utf8JsonWriter writer, string channel, HistoryPage page)
    {
        writer.WriteString("channel"u8, channel);
        writer.WriteString("epoch"u8, page.Position.Epoch);
        writer.WriteNumber("offset"u8, page.Position.Offset);
        writer.WriteBoolean("truncated"u8, page.Truncated);
        writer.WriteBoolean("more"u8, page.More);
        writer.WriteStartArray("publications"u8);
        foreach (var publication in page.Publications)
        {
            writer.WriteStartObject();
            writer.WriteNumber("offset"u8, publication.Offset);
            WritePublicationFields(writer, publication);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Only members with a token have a user; the field is left out otherwise, so old clients see what they always saw.</summary>
    private static void WriteUser(Utf8JsonWriter writer, PresenceMember member)
    {
        if (member.User is { } user)
        {
            writer.WriteString("user"u8, user);
        }
    }

    public static void WritePresenceBody(Utf8JsonWriter writer, string channel, IReadOnlyCollection<PresenceMember> members)
    {
        writer.WriteString("channel"u8, channel);
        writer.WriteNumber("count"u8, members.Count);
        writer.WriteStartArray("members"u8);
        foreach (var member in members)
        {
            writer.WriteStartObject();
            writer.WriteString("session"u8, member.Session);
            writer.WriteString("name"u8, member.Name);
            WriteUser(writer, member);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes one JSON object with <paramref name="body"/> as its content.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body) => Write(256, body);

    /// <summary>Writes one JSON object into a buffer sized for it (<paramref name="capacity"/> bytes: a publication's frame is built once, without regrowing).</summary>
    public static byte[] Write(long capacity, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(capacity, int.MaxValue));
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePublicationFields(Utf8JsonWriter writer, Publication publication)
    {
        writer.WriteString("origin"u8, publication.Origin);
        Span<byte> timestamp = stackalloc byte[WireTimestamp.Length];
        WireTimestamp.Write(publication.TimestampUtc, timestamp);
        writer.WriteString("timestamp"u8, timestamp);
        WritePayload(writer, publication.Payload);
    }

    /// <summary>
    /// <c>"message": "…"</c>, <c>"data": &lt;JSON&gt;</c> or <c>"bytes": "&lt;base64&gt;"</c>: the payload written as it
    /// is stored, never decoded and encoded again.
    /// </summary>
    public static void WritePayload(Utf8JsonWriter writer, PublicationPayload payload)
    {
        switch (payload.Kind)
        {
            case PayloadKind.Data:
                writer.WritePropertyName("data"u8);
                writer.WriteRawValue(payload.Bytes, skipInputValidation: true);
                break;
            case PayloadKind.Bytes:
                writer.WriteBase64String("bytes"u8, payload.Bytes);
                break;
            default:
                // Stored as the escaped JSON string content the client sent: wrap it in quotes as it is.
                writer.WritePropertyName("message"u8);
                var quoted = new byte[payload.Bytes.Length + 2];
                quoted[0] = (byte)'"';
                payload.Bytes.CopyTo(quoted, 1);
                quoted[^1] = (byte)'"';
                writer.WriteRawValue(quoted, skipInputValidation: true);
                break;
        }
    }

    /// <summary><c>"permissions": {"subscribe": [...], "publish": [...]}</c>: the same shape in every frame and answer that has it.</summary>
    public static void WritePermissions(Utf8JsonWriter writer, ChannelPermissions permissions)
    {
        writer.WriteStartObject("permissions"u8);
        WritePatterns(writer, "subscribe"u8, permissions.Subscribe);
        WritePatterns(writer, "publish"u8, permissions.Publish);
        writer.WriteEndObject();
    }

    private static void WritePatterns(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<string> patterns)
    {
        writer.WriteStartArray(name);
        foreach (var pattern in patterns)
        {
            writer.WriteStringValue(pattern);
        }

        writer.WriteEndArray();
    }

    /// <summary><c>"time"</c>: the server's clock in the format of a publication's <c>timestamp</c>, so a client can measure its clock offset from any frame that has it.</summary>
    private static void WriteTime(Utf8JsonWriter writer, DateTime nowUtc)
    {
        Span<byte> time = stackalloc byte[WireTimestamp.Length];
        WireTimestamp.Write(nowUtc, time);
        writer.WriteString("time"u8, time);
    }

    private static void WriteId(Utf8JsonWriter writer, string? id)
    {
        if (id is not null)
        {
            writer.WriteString("id"u8, id);
        }
    }
}
