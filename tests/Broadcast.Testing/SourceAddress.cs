using System.Net;
using System.Net.Sockets;

namespace Broadcast.Testing;

/// <summary>
/// HTTP and WebSocket clients whose TCP connections leave from a chosen loopback address (127.0.0.2,
/// 127.0.0.3, …): distinct client addresses on one machine, for per-address limits.
/// </summary>
public static class SourceAddress
{
    /// <summary>A handler that binds every connection it opens to <paramref name="local"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress local) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public static HttpClient Http(Uri baseAddress, IPAddress local) =>
        new(Handler(local)) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
}
