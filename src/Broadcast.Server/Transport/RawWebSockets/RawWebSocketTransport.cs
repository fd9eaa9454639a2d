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
    private readonly TransportOptions _options = options.Value;

    private readonly KeepAliveClock _keepAlive = new(options.Value);

    /// <summary>True when the setting chose this transport (<c>Broadcast:WebSocketStack</c> = <c>Connection</c>).</summary>
    public bool Enabled => _options.WebSocketStack == WebSocketStack.Connection;

    /// <summary>Answers <paramref name="request"/> with 101 (and <paramref name="subProtocol"/>, if any) and returns the connection, read within <paramref name="limits"/>.</summary>
    public async Task<IClientConnection> AcceptAsync(BareSocket connection, UpgradeRequest request, long id, IPAddress? remoteAddress, string? subProtocol, MessageLimits limits)
    {
        // The handshake of RFC 6455 section 4.2.2; the only extension is permessage-deflate, when enabled and offered.
        var head = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ")
            .Append(AcceptKey(request.Header("Sec-WebSocket-Key")))
            .Append("\r\n");
        if (subProtocol is not null)
        {
            head.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
        }

        var extension = deflate.Negotiate(request.Headers.TryGetValue("Sec-WebSocket-Extensions", out var offers) ? offers : default);
        if (extension is not null)
        {
            head.Append("Sec-WebSocket-Extensions: ").Append(extension).Append("\r\n");
        }

        head.Append("\r\n");

        // The request (peeked, still in the kernel's buffer) is consumed: what follows it is the first frame.
        await connection.DiscardAsync((int)request.Length).ConfigureAwait(false);
        await connection.SendAsync(Encoding.ASCII.GetBytes(head.ToString())).ConfigureAwait(false);
        return new RawWebSocketConnection(id, connection, remoteAddress, limits, _options, _keepAlive, flusher, observer, logger, extension is null ? null : deflate.Compression);
    }

    public void Dispose() => _keepAlive.Dispose();

    private static string AcceptKey(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), hash);
        return Convert.ToBase64String(hash);
    }
}
