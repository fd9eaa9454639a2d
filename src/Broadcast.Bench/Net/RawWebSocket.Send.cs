using System.Buffers.Binary;
using System.Net.Sockets;

namespace Broadcast.Bench.Net;

public sealed partial class RawWebSocket
{
    [ThreadStatic]
    private static byte[]? _threadSendBuffer;

    /// <summary>
    /// Sends one complete frame. Synchronous on purpose: publishers run on a dedicated thread where a
    /// blocking send is the cheapest way to feel the server's back-pressure; pongs are tiny.
    /// </summary>
    public bool SendFrame(int opcode, ReadOnlySpan<byte> payload)
    {
        var headerLength = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var total = headerLength + 4 + payload.Length;
        var buffer = _threadSendBuffer;
        if (buffer is null || buffer.Length < total)
        {
            _threadSendBuffer = buffer = new byte[Math.Max(total, 4096)];
        }

        buffer[0] = (byte)(0x80 | opcode);
        if (headerLength == 2)
        {
            buffer[1] = (byte)(0x80 | payload.Length);
        }
        else if (headerLength == 4)
        {
            buffer[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            buffer[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(2), (ulong)payload.Length);
        }

        // A zero masking key leaves the payload as it is. RFC 6455 requires client frames to be masked
        // but lets the key be any value, and skipping the XOR keeps the load generator's cost down.
        buffer.AsSpan(headerLength, 4).Clear();
        payload.CopyTo(buffer.AsSpan(headerLength + 4));
        try
        {
            lock (_sendLock)
            {
                var sent = 0;
                while (sent < total)
                {
                    sent += _socket.Send(buffer, sent, total - sent, SocketFlags.None);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Abort();
            return false;
        }
    }

    /// <summary>Sends a close frame (1000) and closes the socket without waiting for the reply.</summary>
    public void Close()
    {
        if (!IsClosed)
        {
            SendFrame(0x8, [0x03, 0xE8]);
        }

        Abort();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    public void Dispose() => Abort();

    /// <summary>The status code of an HTTP response head, or 0 when it is not one.</summary>
    private static int ParseStatus(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.1 101 Switching Protocols"
        return head.Length >= 12 && head.StartsWith("HTTP/1."u8) && int.TryParse(head.Slice(9, 3), out var status) ? status : 0;
    }
}
