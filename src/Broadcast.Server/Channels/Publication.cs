using Broadcast.Server.Protocol;

namespace Broadcast.Server.Channels;

/// <summary>
/// One message accepted on a channel, with the position the engine gave it. Immutable and shared:
/// the frames for each protocol are built at most once, on first use, and the same bytes go to every
/// recipient of that protocol.
/// </summary>
public sealed class Publication
{
    private byte[]? _legacyFrame;
    private byte[]? _frame;

    public Publication(string channel, string epoch, long offset, string origin, DateTime timestampUtc, byte[] escapedMessage)
    {
        Channel = channel;
        Epoch = epoch;
        Offset = offset;
        Origin = origin;
        TimestampUtc = timestampUtc;
        EscapedMessage = escapedMessage;
    }

    public string Channel { get; }

    public string Epoch { get; }

    public long Offset { get; }

    /// <summary>The publisher's session id; its own publications are never sent back to it.</summary>
    public string Origin { get; }

    public DateTime TimestampUtc { get; }

    /// <summary>The message as JSON string content, escaped, without the quotes.</summary>
    public byte[] EscapedMessage { get; }

    /// <summary><c>{"message":…,"timestamp":…}</c> for legacy clients.</summary>
    public ReadOnlyMemory<byte> LegacyFrame =>
        Volatile.Read(ref _legacyFrame) ?? Interlocked.CompareExchange(ref _legacyFrame, BroadcastFrame.Build(EscapedMessage, TimestampUtc), null) ?? _legacyFrame!;

    /// <summary>The <c>pub</c> frame of the extended protocol.</summary>
    public ReadOnlyMemory<byte> Frame =>
        Volatile.Read(ref _frame) ?? Interlocked.CompareExchange(ref _frame, ServerFrames.Publication(this), null) ?? _frame!;
}
