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

    public static Publication Publication(this JsonElement element, string channel, string epoch) =>
        new(channel, element.Int64("offset"), epoch, element.String("origin") ?? "", element.Timestamp("timestamp"), element.String("message") ?? "");
}
