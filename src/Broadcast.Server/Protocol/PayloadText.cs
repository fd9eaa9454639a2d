using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol;

/// <summary>
/// A payload as text, for the frames that can only carry a string: the legacy <c>message</c> of a publication
/// that has <c>data</c> (its JSON text, exactly the bytes published) or <c>bytes</c> (their base64). Built once
/// per publication, in the encoding's slot, like any frame.
/// </summary>
public static class PayloadText
{
    /// <summary>The payload as escaped JSON string content, without the quotes.</summary>
    public static byte[] Escaped(PublicationPayload payload) => payload.Kind switch
    {
        PayloadKind.Data => JsonEncodedText.Encode(payload.Bytes, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes.ToArray(),
        PayloadKind.Bytes => Base64Utf8(payload.Bytes),
        _ => payload.Bytes,
    };

    /// <summary>Standard base64 with padding, as UTF-8 (it needs no JSON escaping).</summary>
    public static byte[] Base64Utf8(ReadOnlySpan<byte> bytes)
    {
        var encoded = new byte[Base64.GetMaxEncodedToUtf8Length(bytes.Length)];
        Base64.EncodeToUtf8(bytes, encoded, out _, out var written);
        return written == encoded.Length ? encoded : encoded[..written];
    }
}
