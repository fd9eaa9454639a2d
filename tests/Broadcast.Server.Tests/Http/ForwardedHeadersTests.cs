using System.Net;
using System.Net.Sockets;
using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>
/// Behind a reverse proxy (<c>Broadcast:ForwardedHeaders</c>): a known proxy's <c>X-Forwarded-For</c> is the
/// client for per-address limits, its <c>X-Forwarded-Proto</c>/<c>Host</c> what the origin check compares
/// with, and its sockets are not one address's; anyone else's forwarded headers change nothing.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static readonly IPAddress Proxy = IPAddress.Loopback;
    private static readonly IPAddress NotAProxy = IPAddress.Parse("127.0.0.2");

    private static Dictionary<string, string?> BehindProxy(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Broadcast:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static string Forwarded(string client) => $"X-Forwarded-For: {client}\r\n";

    [Fact]
    public async Task The_per_address_connection_limit_counts_the_forwarded_client_and_only_when_a_known_proxy_says_so()
    {
        await using var server = await RunningServer.StartAsync(BehindProxy(("Broadcast:Limits:MaxConnectionsPerAddress", "1")));

        // Two clients behind the one proxy address: each has its own place.
        await using var first = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: Forwarded("203.0.113.1"), localAddress: Proxy);
        await using var second = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: Forwarded("203.0.113.2"), localAddress: Proxy);
        await server.WaitForConnectionCountAsync(2);
        Assert.StartsWith("HTTP/1.1 429", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Forwarded("203.0.113.1"), Proxy), StringComparison.Ordinal);

        // A client that is not a proxy cannot pick another address with the header.
        await using var direct = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: Forwarded("198.51.100.1"), localAddress: NotAProxy);
        await server.WaitForConnectionCountAsync(3);
        Assert.StartsWith("HTTP/1.1 429", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Forwarded("198.51.100.2"), NotAProxy), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_configured_proxies_forwarded_headers_are_ignored_even_from_loopback()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxConnectionsPerAddress"] = "1" });
        await using var first = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: Forwarded("203.0.113.1"), localAddress: Proxy);
        await server.WaitForConnectionCountAsync(1);
        Assert.StartsWith("HTTP/1.1 429", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Forwarded("203.0.113.2"), Proxy), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_origin_check_sees_the_scheme_and_host_the_browser_used_through_the_proxy()
    {
        await using var server = await RunningServer.StartAsync(BehindProxy());
        const string Page = "Origin: https://chat.example.com\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: chat.example.com\r\n";

        // Through the proxy, the page's origin is the server's own (AllowedOrigins empty).
        await using var accepted = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: Page, localAddress: Proxy);

        // The same headers from anyone else: the Host is still 127.0.0.1:port, so the origin is foreign.
        Assert.StartsWith("HTTP/1.1 403", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Page, NotAProxy), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_known_proxys_sockets_are_not_one_addresses_but_anyone_elses_are_still_limited()
    {
        await using var server = await RunningServer.StartAsync(BehindProxy(("Broadcast:Limits:MaxSocketsPerAddress", "2")));

        // Keep-alive sockets, each answered before the next is opened: every one was counted before the next.
        var proxySockets = new List<TcpClient>();
        var directSockets = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                proxySockets.Add(await OpenAsync(server.BaseAddress, Proxy));
                Assert.True(await AnsweredAsync(proxySockets[^1]), $"the proxy's socket {i + 1} was refused");
            }

            for (var i = 0; i < 2; i++)
            {
                directSockets.Add(await OpenAsync(server.BaseAddress, NotAProxy));
                Assert.True(await AnsweredAsync(directSockets[^1]));
            }

            directSockets.Add(await OpenAsync(server.BaseAddress, NotAProxy));
            Assert.False(await AnsweredAsync(directSockets[^1]), "a third socket of one address past MaxSocketsPerAddress=2 was answered");
        }
        finally
        {
            foreach (var socket in proxySockets.Concat(directSockets))
            {
                socket.Dispose();
            }
        }
    }

    private static async Task<TcpClient> OpenAsync(Uri server, IPAddress local)
    {
        var tcp = new TcpClient(new IPEndPoint(local, 0));
        await tcp.ConnectAsync(server.Host, server.Port);
        return tcp;
    }

    /// <summary>Asks for /health on the socket; true when a 200 came, false when the server closed it unanswered.</summary>
    private static async Task<bool> AnsweredAsync(TcpClient tcp)
    {
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[4096];
            var head = new StringBuilder();
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return head.ToString().StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            // Reset by the server: refused.
            return false;
        }
    }
}
