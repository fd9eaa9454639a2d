using System.Globalization;
using System.Text.Json;

namespace Broadcast.Client;

/// <summary>Lenient field access for inbound frames: a missing or mistyped field reads as a default.</summary>
internal static class JsonFields
{
    public static string? String(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long Int64(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;

    public static bool Bool(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    public static DateTimeOffset Timestamp(this JsonElement element, string name) =>
        DateTimeOffset.TryParse(element.String(name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp) ? timestamp : default;

    public static IEnumerable<JsonElement> Array(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    /// <summary>A publication of a <c>pub</c> frame or a history page, with its <c>message</c>, <c>data</c> or <c>bytes</c>.</summary>
    public static Publication Publication(this JsonElement element, string channel, string epoch)
    {
        string message;
        var kind = PayloadKind.Message;
        JsonElement? data = null;
        byte[]? bytes = null;
        if (element.String("message") is { } text)
        {
            message = text;
        }
        else if (element.TryGetProperty("data", out var value))
        {
            kind = PayloadKind.Data;
            data = value.Clone();
            message = value.GetRawText();
        }
        else if (element.TryGetProperty("bytes", out var encoded) && encoded.ValueKind == JsonValueKind.String && encoded.TryGetBytesFromBase64(out var decoded))
        {
            kind = PayloadKind.Bytes;
            bytes = decoded;
            message = encoded.GetString()!;
        }
        else
        {
            message = "";
        }

        return new(channel, element.Int64("offset"), epoch, element.String("origin") ?? "", element.Timestamp("timestamp"), message)
        {
            Kind = kind,
            Data = data,
            Bytes = bytes,
        };
    }
}
