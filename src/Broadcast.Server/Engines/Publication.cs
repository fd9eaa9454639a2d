using System.Runtime.CompilerServices;

namespace Broadcast.Server.Engines;

/// <summary>
/// One message accepted on a channel, with the position the engine gave it. Immutable and shared. It speaks
/// no wire format: each encoding (<see cref="IPublicationEncoder"/>) builds its frame at most once, on first
/// use, into its own slot here, and the same bytes go to every recipient of that encoding.
/// </summary>
public sealed class Publication
{
    /// <summary>Encodings a publication can cache at once; a new encoding takes a free slot (see its <see cref="IPublicationEncoder.Slot"/>).</summary>
    public const int MaxEncodings = 4;

    // Beside each encoding's frame: its permessage-deflate form, made only if a compressing client receives it.
    private EncodedFrames _compressed;

    private EncodedFrames _frames;

    public Publication(string channel, string epoch, long offset, string origin, DateTime timestampUtc, PublicationPayload payload)
    {
        Channel = channel;
        Epoch = epoch;
        Offset = offset;
        Origin = origin;
        TimestampUtc = timestampUtc;
        Payload = payload;
    }

    public string Channel { get; }

    public string Epoch { get; }

    public long Offset { get; }

    /// <summary>The publisher's session id; its own publications are never sent back to it.</summary>
    public string Origin { get; }

    public DateTime TimestampUtc { get; }

    /// <summary>What it carries: a message (escaped JSON string content), JSON data or bytes, as published.</summary>
    public PublicationPayload Payload { get; }

    /// <summary>This publication's frame in <paramref name="encoder"/>'s encoding: built by the first caller, shared after.</summary>
    [MethodImpl(HotPath.Compile)]
    public ReadOnlyMemory<byte> EncodedBy(IPublicationEncoder encoder)
    {
        var slot = encoder.Slot;
        return Volatile.Read(ref _frames[slot]) ?? Interlocked.CompareExchange(ref _frames[slot], encoder.Encode(this), null) ?? _frames[slot]!;
    }

    /// <summary>
    /// This publication's frame in <paramref name="encoder"/>'s encoding, compressed by <paramref name="compress"/>
    /// (the transport's permessage-deflate): built by the first compressing recipient, shared after, so a
    /// publication is compressed once per encoding whoever receives it. Empty when compressing did not pay.
    /// </summary>
    /// <remarks>One compression per server: the cache does not tell two <paramref name="compress"/> functions apart.</remarks>
    public ReadOnlyMemory<byte> CompressedBy(IPublicationEncoder encoder, Func<byte[], byte[]> compress)
    {
        var slot = encoder.Slot;
        if (Volatile.Read(ref _compressed[slot]) is { } cached)
        {
            return cached;
        }

        EncodedBy(encoder);
        return Interlocked.CompareExchange(ref _compressed[slot], compress(_frames[slot]!), null) ?? _compressed[slot]!;
    }

    /// <summary>One cached frame per encoding slot, inline (no array per publication).</summary>
    [InlineArray(MaxEncodings)]
    private struct EncodedFrames
    {
        private byte[]? _frame;
    }
}
