using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Broadcast.Server.Security;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>The JSON every proxy call POSTs: who the client is, then the kind's own fields (docs/integration.md).</summary>
internal static class ProxyRequestBody
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(ClientContext client, Action<Utf8JsonWriter>? fields = null)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            if (client.Client is { } id)
            {
                writer.WriteString("client"u8, id);
            }

            writer.WriteString("transport"u8, client.Transport);
            writer.WriteString("protocol"u8, client.Protocol);
            writer.WriteString("remoteAddress"u8, client.RemoteAddress);
            writer.WriteString("user"u8, client.User);
            if (client.Session is { } session)
            {
                writer.WriteString("session"u8, session);
            }

            fields?.Invoke(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a message kept as escaped JSON string content as the string it is.</summary>
    public static void WriteEscapedString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> escaped)
    {
        writer.WritePropertyName(name);
        var quoted = new byte[escaped.Length + 2];
        quoted[0] = (byte)'"';
        escaped.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        writer.WriteRawValue(quoted, skipInputValidation: true);
    }
}
