using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Broadcast.Server.Transport.Compression;
using Broadcast.Server.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>
/// The connection-level WebSocket transport's shared parts (the flush scheduler, the observer, the settings):
/// answers an upgrade on the socket itself and gives each connection its <see cref="RawWebSocketConnection"/>.
/// </summary>
internal sealed class RawWebSocketTransport(FlushScheduler flusher, ITransportObserver observer, IOptions<TransportOptions> options, PerMessageDeflate deflate, ILogger<RawWebSocketConnection> logger) : IDisposable
{
    /// <summary>The fixed part of the 101 answer, and room for the accept key: the subprotocol and extension are added to it.</summary>
    private const int SwitchingProtocolsBytes = 256;

    private readonly TransportOptions _options = options.Value;

    private readonly KeepAliveClock _keepAlive = new(options.Value);

    /// <summary>True when the setting chose this transport (<c>Broadcast:WebSocketStack</c> = <c>Connection</c>).</summary>
    public bool Enabled => _options.WebSocketStack == WebSocketStack.Connection;

    /// <summary>Answers <paramref name="request"/> with 101 (and <paramref name="subProtocol"/>, if any) and returns the connection, read within <paramref name="limits"/>.</summary>
    public async Task<IClientConnection> AcceptAsync(BareSocket connection, UpgradeRequest request, long id, IPAddress? remoteAddress, string? subProtocol, MessageLimits limits)
    {
        // The only extension is permessage-deflate, when enabled and offered.
        var extension = deflate.Negotiate(request.Headers.TryGetValue("Sec-WebSocket-Extensions", out var offers) ? offers : default);
        var answer = ArrayPool<byte>.Shared.Rent(SwitchingProtocolsBytes + (subProtocol?.Length ?? 0) + (extension?.Length ?? 0));
        try
        {
            var length = WriteSwitchingProtocols(answer, request.Header("Sec-WebSocket-Key"), subProtocol, extension);

            // The request (peeked, still in the kernel's buffer) is consumed: what follows it is the first frame.
            await connection.DiscardAsync((int)request.Length).ConfigureAwait(false);
            await connection.SendAsync(answer.AsMemory(0, length)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(answer);
        }

        return new RawWebSocketConnection(id, connection, remoteAddress, limits, _options, _keepAlive, flusher, observer, logger, extension is null ? null : deflate.Compression);
    }

    /// <summary>
    /// The handshake's answer (RFC 6455 section 4.2.2), written as bytes into <paramref name="destination"/>:
    /// no string, builder or array is made per connection for it. Returns its length.
    /// </summary>
    internal static int WriteSwitchingProtocols(Span<byte> destination, string key, string? subProtocol, string? extension)
    {
        var length = Append(destination, 0, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "u8);
        length += WriteAcceptKey(key, destination[length..]);
        length = Append(destination, length, "\r\n"u8);
        if (subProtocol is not null)
        {
            length = Append(destination, length, "Sec-WebSocket-Protocol: "u8);
            length += Encoding.ASCII.GetBytes(subProtocol, destination[length..]);
            length = Append(destination, length, "\r\n"u8);
        }

        if (extension is not null)
        {
            length = Append(destination, length, "Sec-WebSocket-Extensions: "u8);
            length += Encoding.ASCII.GetBytes(extension, destination[length..]);
            length = Append(destination, length, "\r\n"u8);
        }

        return Append(destination, length, "\r\n"u8);
    }

    public void Dispose() => _keepAlive.Dispose();

    private static ReadOnlySpan<byte> KeyGuid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    private static int Append(Span<byte> destination, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[at..]);
        return at + bytes.Length;
    }

    /// <summary>Base64 of the SHA-1 of the key and the protocol's GUID (its 28 bytes), written into <paramref name="destination"/>.</summary>
    private static int WriteAcceptKey(string key, Span<byte> destination)
    {
        // The key was checked to be 24 base64 characters (UpgradeRequest.IsWebSocketUpgrade).
        Span<byte> input = stackalloc byte[24 + KeyGuid.Length];
        var keyBytes = Encoding.ASCII.GetBytes(key, input);
        KeyGuid.CopyTo(input[keyBytes..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(keyBytes + KeyGuid.Length)], hash);
        Base64.EncodeToUtf8(hash, destination, out _, out var written);
        return written;
    }
}
