using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// Frames taken from a queue for one write: framed back to back into one pooled buffer (server frames are
/// never masked, so framing is a 2-10 byte header before the shared payload), or, for a connection whose
/// stream the server does not own, kept as a list to send one by one.
/// </summary>
internal struct FrameBatch(byte[] buffer, List<OutboundFrame>? unframed = null) : IFrameBatch
{
    private const int MaxHeaderBytes = 10;

    public byte[] Buffer { get; private set; } = buffer;

    /// <summary>Bytes framed so far (or, for an unframed batch, payload bytes collected).</summary>
    public int Length { get; private set; }

    private BatchTally _tally;

    /// <summary>Publications in the batch (replies and notices are not counted as deliveries).</summary>
    public readonly int Publications => _tally.Publications;

    /// <summary>When the oldest live publication in the batch was accepted: one latency sample per write.</summary>
    public readonly long OldestLiveTicks => _tally.OldestLiveTicks;

    /// <summary>Frames as binary (opcode 2) rather than text (opcode 1): the connection's dialect is a binary one.</summary>
    public bool Binary { get; init; }

    [MethodImpl(HotPath.Compile)]
    public void Add(in OutboundFrame frame)
    {
        _tally.Count(frame);

        if (unframed is not null)
        {
            unframed.Add(frame);
            Length += frame.Bytes.Length;
            return;
        }

        Buffer = BatchBuffer.WithRoom(Buffer, Length, Length + MaxHeaderBytes + frame.Bytes.Length);

        var start = Length;
        Length += WriteDataFrame(frame.Bytes.Span, Buffer.AsSpan(Length), Binary);
        if (frame.Compressed)
        {
            // RSV1: the payload is a permessage-deflate message (RFC 7692 section 6).
            Buffer[start] |= 0x40;
        }
    }

    /// <summary>Writes an unmasked, final text or binary frame (RFC 6455 section 5.2) and returns its length.</summary>
    [MethodImpl(HotPath.Compile)]
    private static int WriteDataFrame(ReadOnlySpan<byte> payload, Span<byte> destination, bool binary)
    {
        destination[0] = binary ? (byte)0x82 : (byte)0x81; // FIN + binary or text
        int header;
        if (payload.Length < 126)
        {
            destination[1] = (byte)payload.Length;
            header = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            destination[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            header = 10;
        }

        payload.CopyTo(destination[header..]);
        return header + payload.Length;
    }
}
