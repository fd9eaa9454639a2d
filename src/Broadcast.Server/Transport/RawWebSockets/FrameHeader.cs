using System.Buffers;
using System.Buffers.Binary;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>The header of one frame a client sent (RFC 6455 section 5.2), as read off the wire.</summary>
internal readonly record struct FrameHeader(bool Fin, int Rsv, int Opcode, bool Masked, long PayloadLength, uint MaskKey, int HeaderLength)
{
    public const int Continuation = 0;
    public const int Text = 1;
    public const int Binary = 2;
    public const int Close = 8;
    public const int Ping = 9;
    public const int Pong = 10;

    public bool IsControl => (Opcode & 0x8) != 0;

    /// <summary>
    /// Reads a header from the start of <paramref name="buffer"/>; false when it has not fully arrived yet.
    /// Only the header is read: a frame declaring more than any limit is refused before its payload arrives.
    /// </summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        header = default;
        Span<byte> bytes = stackalloc byte[14];
        var available = (int)Math.Min(buffer.Length, bytes.Length);
        if (available < 2)
        {
            return false;
        }

        buffer.Slice(0, available).CopyTo(bytes);
        var masked = (bytes[1] & 0x80) != 0;
        var length = (long)(bytes[1] & 0x7F);
        var offset = 2;
        if (length == 126)
        {
            if (available < 4)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
            offset = 4;
        }
        else if (length == 127)
        {
            if (available < 10)
            {
                return false;
            }

            // The most significant bit must be 0 (section 5.2): read as unsigned, anything past long.MaxValue is a violation.
            var declared = BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);
            length = declared > long.MaxValue ? -1 : (long)declared;
            offset = 10;
        }

        uint mask = 0;
        if (masked)
        {
            if (available < offset + 4)
            {
                return false;
            }

            mask = BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
            offset += 4;
        }

        header = new FrameHeader((bytes[0] & 0x80) != 0, (bytes[0] >> 4) & 0x7, bytes[0] & 0xF, masked, length, mask, offset);
        return true;
    }

    /// <summary>RSV1: the message this frame starts is compressed (permessage-deflate, RFC 7692 section 6).</summary>
    public bool Compressed => (Rsv & 0x4) != 0;

    /// <summary>Why the header breaks the protocol (close 1002), or null when it is a valid client frame.</summary>
    /// <param name="deflate">The connection negotiated permessage-deflate: RSV1 may then mark the first frame of a data message.</param>
    public string? Violation(bool deflate = false)
    {
        // RSV1 is permessage-deflate's, and only on the first frame of a message (never a continuation or a
        // control frame); without an extension, or for RSV2 and RSV3, no reserved bit may be set.
        var allowed = deflate && Opcode is Text or Binary ? 0x4 : 0;
        if ((Rsv & ~allowed) != 0)
        {
            return "reserved bits set";
        }

        if (!Masked)
        {
            return "client frames must be masked";
        }

        if (PayloadLength < 0)
        {
            return "invalid payload length";
        }

        return Opcode switch
        {
            Continuation or Text or Binary => null,
            Close or Ping or Pong when !Fin => "fragmented control frame",
            Close or Ping or Pong when PayloadLength > 125 => "control frame too long",
            Close or Ping or Pong => null,
            _ => "reserved opcode",
        };
    }

    /// <summary>Unmasks <paramref name="payload"/> in place; <paramref name="position"/> is the offset of its first byte in the frame's payload.</summary>
    public static void Unmask(Span<byte> payload, uint maskKey, long position)
    {
        // The key rotated so that byte 0 of this span lines up with key byte (position % 4).
        var shift = (int)(position & 3) * 8;
        var key = shift == 0 ? maskKey : (maskKey >> shift) | (maskKey << (32 - shift));
        var i = 0;
        if (BitConverter.IsLittleEndian)
        {
            var wide = ((ulong)key << 32) | key;
            for (; i + 8 <= payload.Length; i += 8)
            {
                var value = BinaryPrimitives.ReadUInt64LittleEndian(payload[i..]);
                BinaryPrimitives.WriteUInt64LittleEndian(payload[i..], value ^ wide);
            }
        }

        for (; i < payload.Length; i++)
        {
            payload[i] ^= (byte)(key >> (((i & 3) * 8) & 31));
        }
    }
}
