namespace Broadcast.Server.Protocol.Legacy;

/// <summary>
/// Builds the frame legacy clients receive: <c>{"message":"…","timestamp":"…"}</c>, exactly the
/// original server's shape. It is built once per publication and the same bytes go to every recipient.
/// </summary>
public static class BroadcastFrame
{
    private static ReadOnlySpan<byte> Prefix => "{\"message\":\""u8;

    private static ReadOnlySpan<byte> Middle => "\",\"timestamp\":\""u8;

    private static ReadOnlySpan<byte> Suffix => "\"}"u8;

    /// <param name="escapedMessage">The message as JSON string content (already escaped, without quotes).</param>
    /// <param name="timestampUtc">When the server accepted the message.</param>
    public static byte[] Build(ReadOnlySpan<byte> escapedMessage, DateTime timestampUtc)
    {
        var frame = new byte[Prefix.Length + escapedMessage.Length + Middle.Length + WireTimestamp.Length + Suffix.Length];
        var span = frame.AsSpan();
        Prefix.CopyTo(span);
        span = span[Prefix.Length..];
        escapedMessage.CopyTo(span);
        span = span[escapedMessage.Length..];
        Middle.CopyTo(span);
        span = span[Middle.Length..];
        WireTimestamp.Write(timestampUtc, span);
        span = span[WireTimestamp.Length..];
        Suffix.CopyTo(span);
        return frame;
    }
}
