using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Broadcast.Testing;

/// <summary>
/// A WebSocket client written against the bytes of RFC 6455, so tests can send what no well-behaved
/// client library would: unmasked frames, reserved bits and opcodes, oversized control frames, broken
/// fragmentation, invalid close codes. It reads the server's frames back one by one.
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    /// <summary>The server's answer to the upgrade (status line and headers).</summary>
    public string ResponseHead { get; private set; } = "";

    /// <summary>This client's end of the TCP connection: with the server's address, names the connection (<see cref="ServerSideTcp"/>).</summary>
    public System.Net.IPEndPoint LocalEndPoint => (System.Net.IPEndPoint)_tcp.Client.LocalEndPoint!;

    private RawWebSocket(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>One frame from the server; <paramref name="Rsv"/> holds its reserved bits (RSV1 = 0b100: compressed, RFC 7692).</summary>
    public sealed record Frame(bool Fin, byte Opcode, byte[] Payload, byte Rsv = 0)
    {
        public bool Compressed => (Rsv & 0b100) != 0;

        public int? CloseCode => Opcode == Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

        public string Text => Encoding.UTF8.GetString(Opcode == Close ? Payload.AsSpan(Math.Min(2, Payload.Length)) : Payload);
    }

    /// <param name="receiveBufferSize">When set, the socket's receive buffer (fixed, not grown by the kernel): a client that stops reading stalls the server's writes sooner.</param>
    public static async Task<RawWebSocket> ConnectAsync(Uri httpBase, string path = "/ws/events", string? extraHeaders = null, System.Net.IPAddress? localAddress = null, int? receiveBufferSize = null)
    {
        var (socket, response) = await UpgradeAsync(httpBase, path, extraHeaders, localAddress, receiveBufferSize: receiveBufferSize);
        if (!response.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            await socket.DisposeAsync();
            throw new InvalidOperationException("The upgrade was refused: " + response);
        }

        return socket;
    }

    /// <summary>
    /// Sends an upgrade request and returns the server's response head, whatever it is. <paramref name="path"/>
    /// is sent as it is (not normalized), and <paramref name="host"/>, when given, replaces the Host header.
    /// </summary>
    public static async Task<string> UpgradeResponseAsync(Uri httpBase, string? extraHeaders = null, System.Net.IPAddress? localAddress = null, string path = "/ws/events", string? host = null)
    {
        var (socket, response) = await UpgradeAsync(httpBase, path, extraHeaders, localAddress, host);
        await socket.DisposeAsync();
        return response;
    }

    private static async Task<(RawWebSocket Socket, string Response)> UpgradeAsync(Uri httpBase, string path, string? extraHeaders, System.Net.IPAddress? localAddress, string? host = null, int? receiveBufferSize = null)
    {
        var tcp = localAddress is null ? new TcpClient() : new TcpClient(new System.Net.IPEndPoint(localAddress, 0));
        tcp.NoDelay = true;
        if (receiveBufferSize is { } size)
        {
            // Before connecting, so the window offered to the server is that small from the start.
            tcp.ReceiveBufferSize = size;
        }

        await tcp.ConnectAsync(httpBase.Host, httpBase.Port);
        var socket = new RawWebSocket(tcp);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {path} HTTP/1.1\r\nHost: {host ?? httpBase.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n";
        await socket._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        socket.ResponseHead = await socket.ReadHttpHeadAsync();
        return (socket, socket.ResponseHead);
    }

    /// <summary>Sends one frame exactly as described. Clients must mask; <paramref name="masked"/> = false breaks that rule.</summary>
    public async Task SendFrameAsync(byte opcode, ReadOnlyMemory<byte> payload, bool fin = true, bool masked = true, byte rsv = 0, long? declaredLength = null)
    {
        var length = declaredLength ?? payload.Length;
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0x0F)) };
        var maskBit = masked ? 0x80 : 0;
        if (length < 126)
        {
            header.Add((byte)(maskBit | (int)length));
        }
        else if (length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(length >> 8));
            header.Add((byte)length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                header.Add((byte)(length >> shift));
            }
        }

        var body = payload.ToArray();
        if (masked)
        {
            var mask = RandomNumberGenerator.GetBytes(4);
            header.AddRange(mask);
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= mask[i % 4];
            }
        }

        // One write: a server that rejects the header must not find the payload arriving after it has
        // closed (that turns its FIN into a reset that can swallow its close frame).
        await _stream.WriteAsync((byte[])[.. header, .. body]);
    }

    public Task SendTextAsync(string text) => SendFrameAsync(Text, Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Sends <paramref name="texts"/> (each under 126 bytes) as masked text frames, the whole sequence
    /// <paramref name="repeat"/> times, in one write: a flood at socket speed.
    /// </summary>
    public async Task SendTextFramesAsync(int repeat, params string[] texts)
    {
        using var sequence = new MemoryStream();
        foreach (var text in texts)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, 125);
            var frame = new byte[6 + payload.Length];
            frame[0] = 0x80 | Text;
            frame[1] = (byte)(0x80 | payload.Length);
            RandomNumberGenerator.Fill(frame.AsSpan(2, 4));
            for (var i = 0; i < payload.Length; i++)
            {
                frame[6 + i] = (byte)(payload[i] ^ frame[2 + (i % 4)]);
            }

            sequence.Write(frame);
        }

        var one = sequence.ToArray();
        var frames = new byte[one.Length * repeat];
        for (var i = 0; i < repeat; i++)
        {
            one.CopyTo(frames, i * one.Length);
        }

        await _stream.WriteAsync(frames);
    }

    public Task SendCloseAsync(int code, string reason = "")
    {
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return SendFrameAsync(Close, payload);
    }

    /// <summary>The next frame from the server, or null if it closed the TCP connection first.</summary>
    public async Task<Frame?> ReceiveFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            var head = new byte[2];
            if (!await ReadExactlyAsync(head, cts.Token))
            {
                return null;
            }

            long length = head[1] & 0x7F;
            if (length == 126)
            {
                var ext = new byte[2];
                await ReadExactlyAsync(ext, cts.Token);
                length = BinaryPrimitives.ReadUInt16BigEndian(ext);
            }
            else if (length == 127)
            {
                var ext = new byte[8];
                await ReadExactlyAsync(ext, cts.Token);
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(ext);
            }

            var payload = new byte[length];
            await ReadExactlyAsync(payload, cts.Token);
            return new Frame((head[0] & 0x80) != 0, (byte)(head[0] & 0x0F), payload, (byte)((head[0] >> 4) & 0x7));
        }
        catch (IOException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No frame arrived in time.");
        }
    }

    /// <summary>Reads frames until a close frame (returned) or the end of the connection (null).</summary>
    public async Task<Frame?> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        while (await ReceiveFrameAsync(timeout) is { } frame)
        {
            if (frame.Opcode == Close)
            {
                return frame;
            }
        }

        return null;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private async Task<string> ReadHttpHeadAsync()
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(one) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
