using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// Accepts a WebSocket upgrade so that the server keeps the upgraded stream: the connection's writer then
/// frames data itself and writes whole batches of frames at once (one send for many frames), which a
/// <see cref="WebSocket"/> cannot do (one send per frame). Receiving, control frames and the close
/// handshake stay with the runtime's WebSocket on the same stream.
/// </summary>
internal static class WebSocketUpgrade
{
    public static async Task<(WebSocket Socket, SharedWriteStream? Output)> AcceptAsync(
        HttpContext context, string? subProtocol, TimeSpan keepAliveInterval, TimeSpan keepAliveTimeout, string? extension = null)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            // WebSockets over HTTP/2 (extended CONNECT): let ASP.NET Core accept; frames then go one by one,
            // never compressed (the writer's frames bypass the runtime's deflate there).
            var accepted = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = subProtocol,
                KeepAliveInterval = keepAliveInterval,
                KeepAliveTimeout = keepAliveTimeout,
                DangerousEnableCompression = false,
            });
            return (accepted, null);
        }

        // The handshake of RFC 6455 section 4.2.2; the request was validated by IsWebSocketRequest.
        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        if (subProtocol is not null)
        {
            headers.SecWebSocketProtocol = subProtocol;
        }

        if (extension is not null)
        {
            headers.SecWebSocketExtensions = extension;
        }

        var output = new SharedWriteStream(await upgrade.UpgradeAsync());
        var socket = WebSocket.CreateFromStream(output, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subProtocol,
            KeepAliveInterval = keepAliveInterval,
            KeepAliveTimeout = keepAliveTimeout,

            // permessage-deflate as negotiated (no context takeover either way): the runtime inflates what the
            // client compressed; the writer frames the shared compressed publications itself (RSV1).
            DangerousDeflateOptions = extension is null ? null : new WebSocketDeflateOptions
            {
                ClientContextTakeover = false,
                ServerContextTakeover = false,
            },
        });
        output.OnAborted = () =>
        {
            if (socket.State == WebSocketState.Aborted)
            {
                context.Abort();
            }
        };
        return (socket, output);
    }

    private static string AcceptKey(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), hash);
        return Convert.ToBase64String(hash);
    }
}
