using System.Globalization;

namespace Broadcast.Server.Protocol;

/// <summary>
/// Builds the frame legacy clients receive: <c>{"message":"…","timestamp":"…"}</c>, exactly the
/// original server's shape. It is built once per publication and the same bytes go to every recipient.
/// </summary>
public static class BroadcastFrame
{
    /// <summary>Length of a formatted timestamp, e.g. <c>2026-11-26T10:15:30.123456+00:00</c>.</summary>
    public const int TimestampLength = 32;

    // The timestamp matches Python's datetime.now(timezone.utc).isoformat(), which the original sent.
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'";

    private static ReadOnlySpan<byte> Prefix => "{\"message\":\""u8;

    private static ReadOnlySpan<byte> Middle => "\",\"timestamp\":\""u8;

    private static ReadOnlySpan<byte> Suffix => "\"}"u8;

    /// <param name="escapedMessage">The message as JSON string content (already escaped, without quotes).</param>
    /// <param name="timestampUtc">When the server accepted the message.</param>
    public static byte[] Build(ReadOnlySpan<byte> escapedMessage, DateTime timestampUtc)
    {
        var frame = new byte[Prefix.Length + escapedMessage.Length + Middle.Length + TimestampLength + Suffix.Length];
        var span = frame.AsSpan();
        Prefix.CopyTo(span);
        span = span[Prefix.Length..];
        escapedMessage.CopyTo(span);
        span = span[escapedMessage.Length..];
        Middle.CopyTo(span);
        span = span[Middle.Length..];
        FormatTimestamp(timestampUtc, span);
        span = span[TimestampLength..];
        Suffix.CopyTo(span);
        return frame;
    }

    /// <summary>Writes the timestamp as UTF-8 into exactly <see cref="TimestampLength"/> bytes.</summary>
    public static void FormatTimestamp(DateTime timestampUtc, Span<byte> destination)
    {
        if (!timestampUtc.TryFormat(destination, out var written, TimestampFormat, CultureInfo.InvariantCulture) || written != TimestampLength)
        {
            throw new InvalidOperationException("The timestamp did not format to its fixed length.");
        }
    }

    public static string FormatTimestamp(DateTime timestampUtc) =>
        timestampUtc.ToString(TimestampFormat, CultureInfo.InvariantCulture);
}
