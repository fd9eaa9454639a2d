using MessagePack;

namespace Broadcast.Client;

/// <summary>
/// The client's frames between JSON and MessagePack, by the MessagePack library's converters: maps for objects,
/// the same keys and values. A <c>bytes</c> payload goes out as its base64 string (the server takes a string or a
/// <c>bin</c>) and comes in as base64 from a <c>bin</c>, which is what the JSON frames carry.
/// </summary>
internal static class MessagePackFrames
{
    public static byte[] FromJson(ReadOnlyMemory<byte> utf8Json) =>
        MessagePackSerializer.ConvertFromJson(System.Text.Encoding.UTF8.GetString(utf8Json.Span));

    /// <summary>The frame as JSON text, or null for a frame that is not MessagePack (skipped, like any unreadable frame).</summary>
    public static string? ToJson(ReadOnlyMemory<byte> frame)
    {
        try
        {
            return MessagePackSerializer.ConvertToJson(frame);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ArgumentException)
        {
            return null;
        }
    }
}
