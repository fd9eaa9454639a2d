using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Broadcast.Bench.Net;

/// <summary>
/// A minimal client WebSocket over a raw socket. ClientWebSocket cannot bind a source address (needed
/// to hold more connections than one address has ports) and parses every frame into a message; the
/// load tool needs neither more than the frame boundaries, so it reads frames in place from one buffer
/// per connection and hands text payloads to a sink, allocating nothing per frame.
/// </summary>
public sealed partial class RawWebSocket : IDisposable
{
    private const int InitialBufferSize = 8 * 1024;
    private const int MaxFrameBytes = 64 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly Lock _sendLock = new();
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private int _closed;
    private System.Buffers.ArrayBufferWriter<byte>? _fragments;
    private System.Buffers.ArrayBufferWriter<byte>? _inflated;

    private RawWebSocket(Socket socket, ReadOnlySpan<byte> leftover)
    {
        _socket = socket;
        if (!leftover.IsEmpty)
        {
            _buffer = new byte[Math.Max(InitialBufferSize, leftover.Length * 2)];
            leftover.CopyTo(_buffer);
            _end = leftover.Length;
        }
    }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public static async Task<ConnectResult> ConnectAsync(WebSocketEndpoint endpoint, IPAddress? source, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var buffer = ArrayPool<byte>.Shared.Rent(2048);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (source is not null)
            {
                // IP_BIND_ADDRESS_NO_PORT: let connect() pick the port, so each source address offers
                // its whole ephemeral range per destination instead of reserving ports at bind time.
                socket.SetRawSocketOption(0, 24, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(endpoint.Server, cts.Token);
            await socket.SendAsync(endpoint.UpgradeRequest, SocketFlags.None, cts.Token);
            var length = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (length == buffer.Length)
                {
                    throw new IOException("The upgrade response headers are too large.");
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cts.Token);
                if (read == 0)
                {
                    throw new IOException("The server closed the connection during the handshake.");
                }

                length += read;
            }

            var status = ParseStatus(buffer.AsSpan(0, headerEnd));
            if (status == 101)
            {
                return new ConnectResult(HandshakeStatus.Connected, new RawWebSocket(socket, buffer.AsSpan(headerEnd + 4, length - headerEnd - 4)), null);
            }

            socket.Dispose();
            return new ConnectResult(status == 503 ? HandshakeStatus.Refused : HandshakeStatus.Rejected, null, $"HTTP {status}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            socket.Dispose();
            return new ConnectResult(HandshakeStatus.Failed, null, ex is OperationCanceledException ? "timeout" : ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads frames until the connection ends; text payloads go to <paramref name="sink"/>, pings are answered.</summary>
    public async Task ReceiveLoopAsync(IFrameSink sink)
    {
        try
        {
            while (!IsClosed)
            {
                if (_buffer is null)
                {
                    // Zero-byte read: an idle connection waits for data without holding a buffer.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    _buffer = new byte[InitialBufferSize];
                }

                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
                if (read == 0)
                {
                    break;
                }

                _end += read;
                ProcessFrames(sink, Stopwatch.GetTimestamp());
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The connection ended (reset, or closed by us); the caller sees IsClosed.
        }
        finally
        {
            Abort();
        }
    }

    private void ProcessFrames(IFrameSink sink, long receivedTicks)
    {
        var buffer = _buffer!;
        while (true)
        {
            var available = _end - _start;
            if (available < 2)
            {
                break;
            }

            var header = buffer.AsSpan(_start, available);
            var opcode = header[0] & 0x0F;
            long length = header[1] & 0x7F;
            var headerLength = 2;
            if (length == 126)
            {
                if (available < 4)
                {
                    break;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
                headerLength = 4;
            }
            else if (length == 127)
            {
                if (available < 10)
                {
                    break;
                }

                length = (long)BinaryPrimitives.ReadUInt64BigEndian(header[2..]);
                headerLength = 10;
            }

            if (length > MaxFrameBytes || (header[1] & 0x80) != 0)
            {
                // Server frames are never masked, and none of ours is this large: not a sane peer.
                Abort();
                return;
            }

            var frameLength = headerLength + (int)length;
            if (available < frameLength)
            {
                EnsureCapacity(frameLength);
                return;
            }

            var payload = buffer.AsSpan(_start + headerLength, (int)length);
            var final = (header[0] & 0x80) != 0;
            _start += frameLength;
            if ((header[0] & 0x40) != 0 && opcode == 0x1 && final)
            {
                // RSV1: a permessage-deflate message (only after --deflate offered it).
                sink.OnText(Inflate(payload), receivedTicks);
                continue;
            }

            switch (opcode)
            {
                case 0x1 when final:
                    sink.OnText(payload, receivedTicks);
                    break;
                case 0x1 or 0x0:
                    // A fragmented message (SignalR sends one fragment per pipe segment): reassemble it,
                    // since a message's fields may straddle two fragments.
                    var fragments = _fragments ??= new System.Buffers.ArrayBufferWriter<byte>();
                    fragments.Write(payload);
                    if (final)
                    {
                        sink.OnText(fragments.WrittenSpan, receivedTicks);
                        fragments.ResetWrittenCount();
                    }

                    break;
                case 0x9:
                    SendFrame(0xA, payload);
                    break;
                case 0x8:
                    Abort();
                    return;
            }
        }

        Compact();
    }

    /// <summary>A compressed message without context takeover (RFC 7692 section 7.2.2): the removed 00 00 ff ff appended, then inflated.</summary>
    private ReadOnlySpan<byte> Inflate(ReadOnlySpan<byte> compressed)
    {
        var input = new byte[compressed.Length + 4];
        compressed.CopyTo(input);
        input[^2] = 0xFF;
        input[^1] = 0xFF;
        using var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(input), System.IO.Compression.CompressionMode.Decompress);
        var inflated = _inflated ??= new System.Buffers.ArrayBufferWriter<byte>();
        inflated.ResetWrittenCount();
        int read;
        while ((read = inflate.Read(inflated.GetSpan(4096))) > 0)
        {
            inflated.Advance(read);
        }

        return inflated.WrittenSpan;
    }

    private void Compact()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer!, _start, _buffer!, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
    }

    private void EnsureCapacity(int frameLength)
    {
        Compact();
        if (frameLength > _buffer!.Length)
        {
            var larger = new byte[Math.Max(frameLength, _buffer.Length * 2)];
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            _buffer = larger;
        }
    }
}
