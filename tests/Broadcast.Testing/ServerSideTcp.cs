using System.Net;
using System.Net.NetworkInformation;

namespace Broadcast.Testing;

/// <summary>
/// The server's end of one loopback TCP connection as the kernel sees it: whether the server still holds it
/// open, whatever the client has (or has not) read. A client that stops reading cannot see the server's FIN or
/// reset behind the bytes it left unread, so only this side tells that the server let the connection go.
/// </summary>
public static class ServerSideTcp
{
    /// <summary>
    /// True while the server's socket for the connection from <paramref name="client"/> to port
    /// <paramref name="serverPort"/> is open on the server's side (established, or the client's FIN received
    /// and not answered); false once the server shut it down or closed it (FIN sent or queued, reset, gone).
    /// </summary>
    public static bool IsHeldOpen(int serverPort, IPEndPoint client)
    {
        var clientAddress = Plain(client.Address);
        foreach (var connection in IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections())
        {
            if (connection.LocalEndPoint.Port == serverPort && connection.RemoteEndPoint.Port == client.Port && Plain(connection.RemoteEndPoint.Address).Equals(clientAddress))
            {
                return connection.State is TcpState.Established or TcpState.CloseWait;
            }
        }

        return false;
    }

    // A dual-mode client socket names its IPv4 end as ::ffff:127.0.0.1; the server's IPv4 listener as 127.0.0.1.
    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
