using System.Text.Json;

namespace Broadcast.Server.Protocol.Legacy;

/// <summary>
/// Validates a client frame the way the original server's Pydantic model did: a JSON object whose
/// <c>message</c> field is a non-empty string; unknown fields are ignored. Works on the UTF-8 bytes
/// directly and allocates nothing, valid or not.
/// </summary>
public static class InboundMessageParser
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        // Depth is capped so a deeply nested frame costs little to reject.
        MaxDepth = 32,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static InboundMessage Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, isFinalBlock: true, state: new JsonReaderState(ReaderOptions));
        try
        {
            if (!reader.Read())
            {
                return InboundMessage.Invalid(ProtocolErrors.InvalidJson);
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                // A scalar or array must still be well-formed JSON to earn the "not an object" answer.
                reader.Skip();
                return EndsCleanly(ref reader)
                    ? InboundMessage.Invalid(ProtocolErrors.NotAnObject)
                    : InboundMessage.Invalid(ProtocolErrors.InvalidJson);
            }

            ProtocolError? fieldError = ProtocolErrors.MessageMissing;
            ReadOnlySpan<byte> text = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Like Python's json module, a repeated key keeps its last value.
                var isMessage = reader.ValueTextEquals("message"u8);
                reader.Read();
                if (!isMessage)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    fieldError = ProtocolErrors.MessageNotString;
                    reader.Skip();
                }
                else if (reader.ValueSpan.IsEmpty)
                {
                    fieldError = ProtocolErrors.MessageEmpty;
                }
                else
                {
                    // ValueSpan of a string token is the escaped content between the quotes, which
                    // is already valid inside a JSON string and can be copied out as it is.
                    fieldError = null;
                    text = reader.HasValueSequence ? default : reader.ValueSpan;
                }
            }

            if (!EndsCleanly(ref reader))
            {
                return InboundMessage.Invalid(ProtocolErrors.InvalidJson);
            }

            return fieldError is null ? InboundMessage.Valid(text) : InboundMessage.Invalid(fieldError);
        }
        catch (JsonException)
        {
            return InboundMessage.Invalid(ProtocolErrors.InvalidJson);
        }
    }

    /// <summary>True when nothing but white space follows the top-level value.</summary>
    private static bool EndsCleanly(ref Utf8JsonReader reader)
    {
        return !reader.Read();
    }
}
