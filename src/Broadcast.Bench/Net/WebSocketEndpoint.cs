using System.Net;
using System.Text;

namespace Broadcast.Bench.Net;

/// <summary>Where to connect and the upgrade request to send, prepared once for every connection.</summary>
public sealed class WebSocketEndpoint
{
    public WebSocketEndpoint(Uri url, string? subProtocol, bool deflate = false)
    {
        if (url.Scheme != "ws")
        {
            // The tool targets servers on this machine; TLS would measure the TLS stack, not the server.
            throw new ArgumentException($"Only ws:// URLs are supported, not {url.Scheme}://.");
        }

        var address = IPAddress.TryParse(url.Host, out var ip) ? ip : Dns.GetHostAddresses(url.Host)[0];
        Server = new IPEndPoint(address, url.Port);
        var request = new StringBuilder()
            .Append("GET ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(url.Authority).Append("\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
            // A fixed key: the tool does not check Sec-WebSocket-Accept, and the server only echoes a hash of it.
            .Append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        if (subProtocol is not null)
        {
            request.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
        }

        if (deflate)
        {
            // What browsers offer: the server answers without context takeover, so each frame inflates on its own.
            request.Append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
        }

        UpgradeRequest = Encoding.ASCII.GetBytes(request.Append("\r\n").ToString());
    }

    public IPEndPoint Server { get; }

    public byte[] UpgradeRequest { get; }
}
