using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MessagePack;

namespace Broadcast.Server.Protocol.MessagePack;

/// <summary>
/// Reads one MessagePack frame from a client as the equivalent JSON object, so the extended protocol's one
/// parser checks its fields. The reverse of <see cref="JsonToMessagePack"/>: maps with string keys, arrays,
/// strings, integers, floats (written so they stay floats), booleans, nil; a top-level <c>bytes</c> field may be
/// <c>bin</c> (it becomes base64, as JSON frames send it). Anything else (ext types, <c>bin</c> elsewhere, maps with
/// other keys, NaN) is not a frame of the protocol.
/// </summary>
/// <remarks>
/// Bounded however the input lies: the depth (<see cref="V2.ClientRequestParser.MaxFrameDepth"/>) stops a bomb
/// before the stack would, and nothing is allocated from a declared length: the reader checks every declared
/// count and length against the bytes actually there (a map of four billion entries in ten bytes fails at once),
/// and strings are read from the frame as they are.
/// </remarks>
public static class MessagePackToJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The frame as JSON, or null when it is not a MessagePack map of the protocol (one value, nothing after it).</summary>
    public static byte[]? TryConvert(ReadOnlyMemory<byte> frame)
    {
        try
        {
            var reader = new MessagePackReader(frame);
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
            {
                return null;
            }

            var buffer = new ArrayBufferWriter<byte>(frame.Length + 64);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                Write(ref reader, writer, depth: 1);
            }

            return reader.End ? buffer.WrittenSpan.ToArray() : null;
        }
        // The reader's answers to lies: lengths past the end, lengths of 2 GiB or more (negative as an int), codes of the wrong type.
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or NotAFrameException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    private static void Write(ref MessagePackReader reader, Utf8JsonWriter writer, int depth)
    {
        if (depth > V2.ClientRequestParser.MaxFrameDepth)
        {
            throw new NotAFrameException();
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var entries = reader.ReadMapHeader();
                writer.WriteStartObject();
                for (var i = 0; i < entries; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw new NotAFrameException();
                    }

                    var name = reader.ReadString()!;
                    writer.WritePropertyName(name);
                    if (depth == 1 && name == "bytes" && reader.NextMessagePackType == MessagePackType.Binary)
                    {
                        var bytes = reader.ReadBytes()!.Value;
                        writer.WriteBase64StringValue(bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray());
                    }
                    else
                    {
                        Write(ref reader, writer, depth + 1);
                    }
                }

                writer.WriteEndObject();
                break;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                writer.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    Write(ref reader, writer, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case MessagePackType.String:
                writer.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    writer.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    writer.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                WriteFloat(writer, reader.ReadDouble());
                break;
            case MessagePackType.Boolean:
                writer.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Nil:
                reader.ReadNil();
                writer.WriteNullValue();
                break;
            default:
                // Binary outside 'bytes', extensions (timestamps included), unknown codes.
                throw new NotAFrameException();
        }
    }

    /// <summary>A float keeps a fraction or an exponent in its JSON text (1.0, not 1), so it comes back as a float.</summary>
    private static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new NotAFrameException();
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.AsSpan().IndexOfAny('.', 'E', 'e') < 0)
        {
            text += ".0";
        }

        writer.WriteRawValue(text, skipInputValidation: true);
    }

    private sealed class NotAFrameException : Exception;
}
