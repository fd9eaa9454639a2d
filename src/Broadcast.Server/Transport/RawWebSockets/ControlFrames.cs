using System.Buffers.Binary;
using System.Text;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>The server's control frames (unmasked, final, at most 125 bytes of payload).</summary>
internal static class ControlFrames
{
    /// <summary>Longest control frame: a 2-byte header and 125 bytes of payload.</summary>
    public const int MaxBytes = 127;

    public static int Write(int opcode, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        destination[0] = (byte)(0x80 | opcode);
        destination[1] = (byte)payload.Length;
        payload.CopyTo(destination[2..]);
        return 2 + payload.Length;
    }

    /// <summary>A close frame with <paramref name="code"/> and as much of <paramref name="reason"/> as fits in 123 bytes, cut on a character boundary.</summary>
    public static byte[] Close(int code, string reason)
    {
        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        var length = 2;
        var encoder = Encoding.UTF8.GetEncoder();
        encoder.Convert(reason.AsSpan(), payload[2..], flush: true, out _, out var written, out _);
        length += written;
        var frame = new byte[2 + length];
        Write(FrameHeader.Close, payload[..length], frame);
        return frame;
    }

    /// <summary>
    /// The close codes a peer may send (RFC 6455 section 7.4): the defined ones of 1000-2999 that may appear
    /// on the wire, and 3000-4999 (libraries, applications). The same set as the runtime's WebSocket.
    /// </summary>
    public static bool IsValidPeerCode(int code) => code switch
    {
        1000 or 1001 or 1002 or 1003 or 1007 or 1008 or 1009 or 1010 or 1011 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
