using System.Text.Json;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol.V2;

/// <summary>
/// Parses a frame of the extended protocol. Every field is checked for its JSON type and range here;
/// whether a field is required depends on the request type and is checked by the handler. The
/// request id and channel are kept even when another field is wrong, so the error reply can name them.
/// </summary>
public static class ClientRequestParser
{
    public const int MaxIdLength = 64;
    public const int MaxNameLength = 64;
    public const int MaxMethodLength = 64;

    /// <summary>Levels of arrays and objects a <c>data</c> value may nest (a scalar is 0); deeper gets <c>data_too_deep</c>.</summary>
    public const int MaxDataDepth = 32;

    /// <summary>Any frame nested deeper than this is <c>invalid_json</c>: the reader stops there, so no input nests without bound.</summary>
    public const int MaxFrameDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxFrameDepth };

    public static ClientRequest Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        string? type = null, id = null, channel = null, session = null, name = null, token = null, method = null;
        byte[]? message = null, data = null, bytes = null;
        ProtocolError? messageError = null, dataError = null, bytesError = null, error = null;
        bool messageGiven = false, dataGiven = false, bytesGiven = false;
        StreamPosition? sincePosition = null;
        long? sinceOffset = null;
        int? limit = null;
        bool sinceGiven = false, limitGiven = false, presence = false;
        try
        {
            if (!reader.Read())
            {
                return new ClientRequest { Error = ProtocolErrors.InvalidJson };
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return new ClientRequest { Error = reader.Read() ? ProtocolErrors.InvalidJson : ProtocolErrors.NotAnObject };
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.ValueSpan;
                var escaped = reader.ValueIsEscaped;
                reader.Read();
                if (escaped)
                {
                    // Property names the protocol defines are plain ASCII; an escaped name is not one of them.
                    reader.Skip();
                    continue;
                }

                if (property.SequenceEqual("type"u8))
                {
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : "";
                    reader.Skip();
                }
                else if (property.SequenceEqual("id"u8))
                {
                    id = ReadBoundedString(ref reader, 1, MaxIdLength, ProtocolErrors.IdInvalid, ref error);
                }
                else if (property.SequenceEqual("channel"u8))
                {
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (ChannelName.IsValid(value))
                    {
                        channel = value;
                    }
                    else
                    {
                        error ??= ProtocolErrors.ChannelInvalid;
                        reader.Skip();
                    }
                }
                else if (property.SequenceEqual("message"u8))
                {
                    messageGiven = true;
                    message = ReadMessage(ref reader, out messageError);
                }
                else if (property.SequenceEqual("session"u8))
                {
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        session = null;
                    }
                    else if (SessionId.IsValid(value))
                    {
                        session = value;
                    }
                    else
                    {
                        error ??= ProtocolErrors.SessionInvalid;
                        reader.Skip();
                    }
                }
                else if (property.SequenceEqual("name"u8))
                {
                    name = reader.TokenType == JsonTokenType.Null
                        ? null
                        : ReadBoundedString(ref reader, 0, MaxNameLength, ProtocolErrors.NameInvalid, ref error);
                }
                else if (property.SequenceEqual("token"u8))
                {
                    token = ReadBoundedString(ref reader, 1, Security.TokenValidator.MaxTokenLength, ProtocolErrors.TokenInvalid, ref error);
                }
                else if (property.SequenceEqual("since"u8))
                {
                    sinceGiven = reader.TokenType != JsonTokenType.Null;
                    ReadSince(ref reader, ref sincePosition, ref sinceOffset, ref error);
                }
                else if (property.SequenceEqual("limit"u8))
                {
                    limitGiven = reader.TokenType != JsonTokenType.Null;
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) && value is >= 1 and <= 1000)
                    {
                        limit = value;
                    }
                    else if (limitGiven)
                    {
                        error ??= ProtocolErrors.LimitInvalid;
                        reader.Skip();
                    }
                }
                else if (property.SequenceEqual("method"u8))
                {
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (IsMethod(value))
                    {
                        method = value;
                    }
                    else
                    {
                        error ??= ProtocolErrors.MethodInvalid;
                        reader.Skip();
                    }
                }
                else if (property.SequenceEqual("data"u8))
                {
                    // Kept as the client wrote it (any JSON value), byte for byte: subscribers, history and the
                    // rpc backend get these bytes, never a re-serialization. Validated once, here, by the reader.
                    dataGiven = true;
                    var start = (int)reader.TokenStartIndex;
                    if (SkipWithin(ref reader, MaxDataDepth))
                    {
                        data = utf8Json[start..(int)reader.BytesConsumed].ToArray();
                    }
                    else
                    {
                        dataError = ProtocolErrors.DataTooDeep;
                        error ??= dataError;
                    }
                }
                else if (property.SequenceEqual("bytes"u8))
                {
                    bytesGiven = true;
                    bytes = ReadBase64(ref reader);
                    if (bytes is null)
                    {
                        bytesError = ProtocolErrors.BytesInvalid;
                        error ??= bytesError;
                    }
                }
                else if (property.SequenceEqual("presence"u8))
                {
                    presence = reader.TokenType == JsonTokenType.True;
                    reader.Skip();
                }
                else
                {
                    reader.Skip();
                }
            }

            if (reader.Read())
            {
                return new ClientRequest { Error = ProtocolErrors.InvalidJson };
            }
        }
        catch (JsonException)
        {
            return new ClientRequest { Error = ProtocolErrors.InvalidJson, Id = id, Channel = channel };
        }
        catch (InvalidOperationException)
        {
            return new ClientRequest { Error = ProtocolErrors.InvalidJson, Id = id, Channel = channel };
        }

        return new ClientRequest
        {
            Type = type,
            Id = id,
            Channel = channel,
            Payload = ChoosePayload(message, data, bytes, messageGiven, dataGiven, bytesGiven, out var payloadError),
            PayloadError = payloadError ?? (messageGiven ? messageError : dataGiven ? dataError : bytesGiven ? bytesError : null),
            Session = session,
            Name = name,
            Token = token,
            SincePosition = sincePosition,
            SinceOffset = sinceOffset,
            SinceGiven = sinceGiven,
            Limit = limit,
            LimitGiven = limitGiven,
            WantsPresence = presence,
            Method = method,
            Data = data,
            Error = error,
        };
    }

    /// <summary>True when <paramref name="json"/> (one JSON value, already known to be valid) nests at most <see cref="MaxDataDepth"/> levels.</summary>
    public static bool IsDataWithinDepth(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        return reader.Read() && SkipWithin(ref reader, MaxDataDepth);
    }

    /// <summary>A publish carries exactly one of <c>message</c>, <c>data</c> and <c>bytes</c>.</summary>
    private static PublicationPayload? ChoosePayload(byte[]? message, byte[]? data, byte[]? bytes, bool messageGiven, bool dataGiven, bool bytesGiven, out ProtocolError? error)
    {
        error = null;
        var given = (messageGiven ? 1 : 0) + (dataGiven ? 1 : 0) + (bytesGiven ? 1 : 0);
        if (given > 1)
        {
            error = ProtocolErrors.PayloadConflict;
            return null;
        }

        if (given == 0)
        {
            error = ProtocolErrors.MessageMissing;
            return null;
        }

        return message is not null ? Engines.PublicationPayload.Message(message)
            : data is not null ? Engines.PublicationPayload.Data(data)
            : bytes is not null ? Engines.PublicationPayload.Binary(bytes)
            : (PublicationPayload?)null;
    }

    /// <summary>
    /// Skips the value at the reader (iteratively: the reader keeps a bit per level, no recursion), false when it
    /// nests arrays and objects deeper than <paramref name="maxDepth"/>.
    /// </summary>
    private static bool SkipWithin(ref Utf8JsonReader reader, int maxDepth)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return true;
        }

        var baseDepth = reader.CurrentDepth;
        var within = true;
        while (reader.Read())
        {
            if (reader.CurrentDepth - baseDepth >= maxDepth && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                within = false;
            }

            if (reader.CurrentDepth == baseDepth && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                break;
            }
        }

        return within;
    }

    /// <summary>A JSON string of standard base64 (with padding), decoded; null when it is not one.</summary>
    private static byte[]? ReadBase64(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        var text = reader.GetString()!;
        var buffer = new byte[(text.Length / 4) * 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    /// <summary>An rpc method: 1-64 characters of <c>A-Z a-z 0-9 _ - . : /</c>.</summary>
    private static bool IsMethod(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxMethodLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ReadBoundedString(ref Utf8JsonReader reader, int min, int max, ProtocolError onError, ref ProtocolError? error)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var value = reader.GetString()!;
            if (value.Length >= min && value.Length <= max)
            {
                return value;
            }
        }

        error ??= onError;
        reader.Skip();
        return null;
    }

    private static byte[]? ReadMessage(ref Utf8JsonReader reader, out ProtocolError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            error = ProtocolErrors.MessageNotString;
            reader.Skip();
            return null;
        }

        if (reader.ValueSpan.IsEmpty)
        {
            error = ProtocolErrors.MessageEmpty;
            return null;
        }

        return reader.ValueSpan.ToArray();
    }

    private static void ReadSince(ref Utf8JsonReader reader, ref StreamPosition? position, ref long? offset, ref ProtocolError? error)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.Number when reader.TryGetInt64(out var value) && value is >= 0 and <= StreamPosition.MaxOffset:
                offset = value;
                return;
            case JsonTokenType.StartObject:
                string? epoch = null;
                long? at = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isEpoch = reader.ValueTextEquals("epoch"u8);
                    var isOffset = reader.ValueTextEquals("offset"u8);
                    reader.Read();
                    if (isEpoch && reader.TokenType == JsonTokenType.String)
                    {
                        epoch = reader.GetString();
                    }
                    else if (isOffset && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var o) && o is >= 0 and <= StreamPosition.MaxOffset)
                    {
                        at = o;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                if (epoch is { Length: > 0 and <= 64 } && at is { } found)
                {
                    position = new StreamPosition(epoch, found);
                }
                else
                {
                    error ??= ProtocolErrors.SinceInvalid;
                }

                return;
            default:
                error ??= ProtocolErrors.SinceInvalid;
                reader.Skip();
                return;
        }
    }
}
