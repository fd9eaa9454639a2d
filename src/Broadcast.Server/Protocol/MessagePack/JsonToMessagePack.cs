using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace Broadcast.Server.Protocol.MessagePack;

/// <summary>
/// Writes JSON as the equivalent MessagePack: objects as maps with string keys, arrays, strings, integers (as
/// integers when they fit 64 bits), other numbers as float64, true/false/null. One rule of the protocol on top:
/// a frame's payload field <c>bytes</c> (base64 in JSON) becomes MessagePack <c>bin</c>, wherever a publication
/// has it (a <c>pub</c> frame, a history reply's publications) and never inside a <c>data</c> value.
/// </summary>
/// <remarks>
/// For the replies and notices of one client (server-made JSON, so read without limits of its own beyond the
/// reader's depth) and, once per publication, for a publication's <c>data</c>: never per recipient.
/// </remarks>
public static class JsonToMessagePack
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = V2.ClientRequestParser.MaxFrameDepth + 1 };

    /// <summary>A whole frame (a JSON object) as a MessagePack map.</summary>
    public static byte[] Frame(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, document.RootElement, payloadLevel: true);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One JSON value (a publication's <c>data</c>) written into <paramref name="writer"/>.</summary>
    public static void Value(ref MessagePackWriter writer, ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        Write(ref writer, document.RootElement, payloadLevel: false);
    }

    /// <param name="payloadLevel">True in the server's own objects, where a <c>bytes</c> field is a payload; false inside <c>data</c>.</param>
    private static void Write(ref MessagePackWriter writer, JsonElement element, bool payloadLevel)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                foreach (var _ in element.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var property in element.EnumerateObject())
                {
                    writer.Write(property.Name);
                    if (payloadLevel && property.NameEquals("bytes"u8) && property.Value.ValueKind == JsonValueKind.String)
                    {
                        writer.Write(property.Value.GetBytesFromBase64());
                    }
                    else
                    {
                        Write(ref writer, property.Value, payloadLevel && !property.NameEquals("data"u8));
                    }
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    Write(ref writer, item, payloadLevel);
                }

                break;
            case JsonValueKind.String:
                writer.Write(element.GetString());
                break;
            case JsonValueKind.Number:
                WriteNumber(ref writer, element);
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static void WriteNumber(ref MessagePackWriter writer, JsonElement element)
    {
        if (element.TryGetInt64(out var signed))
        {
            writer.Write(signed);
        }
        else if (element.TryGetUInt64(out var unsigned))
        {
            writer.Write(unsigned);
        }
        else if (element.TryGetDouble(out var real) && double.IsFinite(real))
        {
            writer.Write(real);
        }
        else
        {
            // Beyond float64 (1e400): no MessagePack number holds it, so its JSON text, as a string.
            writer.Write(element.GetRawText());
        }
    }
}
