using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Broadcast.Server.Transport.RawWebSockets;
using Broadcast.Server.Transport.WebSockets;
using Broadcast.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// The server's own listener (<c>Broadcast:WebSocketStack</c> = <c>Connection</c>, the default) owns each
/// socket from accept: it peeks the first request, serves an upgrade of <c>/ws/events</c> on the bare socket
/// and hands everything else, untouched, to Kestrel on the same port. What a client sees must not depend on
/// which of the two served it; the theories run on both stacks.
/// </summary>
public sealed class BareSocketListenerTests
{
    private static Dictionary<string, string?> On(string stack, Dictionary<string, string?>? more = null) =>
        new(more ?? []) { ["Broadcast:WebSocketStack"] = stack };

    private static string UpgradeHead(Uri server, string extra = "") =>
        $"GET /ws/events HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n";

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task A_head_sent_byte_by_byte_is_upgraded_and_the_connection_works(string stack)
    {
        await using var server = await RunningServer.StartAsync(On(stack));
        await using var watcher = await server.ConnectAsync();
        using var tcp = await ConnectAsync(server.BaseAddress);
        var stream = tcp.GetStream();
        foreach (var b in Encoding.ASCII.GetBytes(UpgradeHead(server.BaseAddress)))
        {
            await stream.WriteAsync(new[] { b });
            await stream.FlushAsync();
        }

        Assert.StartsWith("HTTP/1.1 101", await ReadHeadAsync(stream), StringComparison.Ordinal);
        await server.WaitForConnectionCountAsync(2);
        Assert.All(server.Registry.All(), session => Assert.IsType(stack == "Kestrel" ? typeof(WebSocketWriter) : typeof(RawWebSocketConnection), session.Frames));

        await stream.WriteAsync(MaskedText("{\"message\":\"slowly\"}"));
        Assert.Equal("slowly", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task A_first_frame_sent_with_the_head_in_one_write_is_read(string stack)
    {
        await using var server = await RunningServer.StartAsync(On(stack));
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);
        using var tcp = await ConnectAsync(server.BaseAddress);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeHead(server.BaseAddress)).Concat(MaskedText("{\"message\":\"at once\"}")).ToArray());

        Assert.StartsWith("HTTP/1.1 101", await ReadHeadAsync(stream), StringComparison.Ordinal);
        Assert.Equal("at once", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task A_head_never_finished_is_closed_after_the_handshake_timeout(string stack)
    {
        await using var server = await RunningServer.StartAsync(On(stack, new() { ["Broadcast:Limits:HandshakeTimeout"] = "00:00:01" }));
        using var tcp = await ConnectAsync(server.BaseAddress);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /ws/events HTTP/1.1\r\nHost: " + server.BaseAddress.Authority + "\r\nUpgrade: web"));

        // Whatever Kestrel might answer (408 or nothing), the connection ends: no WebSocket, nothing held.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var rest = await ReadToEndAsync(stream, deadline.Token);
        Assert.DoesNotContain("101", rest, StringComparison.Ordinal);
        Assert.Equal(0, server.Registry.Count);
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task A_byte_stream_that_is_not_HTTP_gets_Kestrels_400(string stack)
    {
        await using var server = await RunningServer.StartAsync(On(stack));
        using var tcp = await ConnectAsync(server.BaseAddress);
        var stream = tcp.GetStream();
        await stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00, 0x0D, 0x0A, 0x0D, 0x0A });

        Assert.StartsWith("HTTP/1.1 400", await ReadHeadAsync(stream), StringComparison.Ordinal);

        // And the port still serves everyone else.
        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task After_a_401_the_same_connection_serves_a_plain_request(string stack)
    {
        await using var server = await RunningServer.StartAsync(On(stack, new() { ["Broadcast:Auth:Required"] = "true", ["Broadcast:Auth:HmacSecret"] = Security.TestTokens.Secret }));
        using var tcp = await ConnectAsync(server.BaseAddress);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeHead(server.BaseAddress)));
        var refusal = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 401", refusal, StringComparison.Ordinal);

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /health HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200", await ReadResponseAsync(stream), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task An_upgrade_after_a_plain_request_on_the_same_connection_is_served(string stack)
    {
        await using var server = await RunningServer.StartAsync(On(stack));
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);
        using var tcp = await ConnectAsync(server.BaseAddress);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /health HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200", await ReadResponseAsync(stream), StringComparison.Ordinal);

        // The connection is Kestrel's now: its WebSocket endpoint serves the upgrade, the same protocol.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeHead(server.BaseAddress)));
        Assert.StartsWith("HTTP/1.1 101", await ReadHeadAsync(stream), StringComparison.Ordinal);
        await stream.WriteAsync(MaskedText("{\"message\":\"second\"}"));
        Assert.Equal("second", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Sockets_beyond_the_per_address_limit_are_closed_unanswered_while_those_served_stay()
    {
        await using var server = await RunningServer.StartAsync(On("Connection", new() { ["Broadcast:Limits:MaxSocketsPerAddress"] = "2" }));
        await using var first = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await using var second = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await server.WaitForConnectionCountAsync(2);

        using var third = await ConnectAsync(server.BaseAddress);
        var stream = third.GetStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeHead(server.BaseAddress)), deadline.Token);
        }
        catch (IOException)
        {
            // Closed before the write: as refused.
        }

        Assert.Equal("", await ReadToEndAsync(stream, deadline.Token));

        // Once one of the two goes, its place is free again.
        await first.SendCloseAsync(1000);
        await first.ReceiveCloseAsync();
        await server.WaitForConnectionCountAsync(1);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await using var again = await RawWebSocket.ConnectAsync(server.BaseAddress);
                return true;
            }
            catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "a socket to be admitted again");
    }

    [Fact]
    public async Task WebSockets_on_the_own_listener_are_not_Kestrel_connections()
    {
        await using var server = await RunningServer.StartAsync(On("Connection"));
        var sockets = new List<RawWebSocket>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                sockets.Add(await RawWebSocket.ConnectAsync(server.BaseAddress));
            }

            await server.WaitForConnectionCountAsync(5);

            // The WebSockets are the server's own sockets: Kestrel counts only the connection of the scrape itself
            // (docs/metrics.md: count WebSockets with broadcast_server_active_connections).
            var scrape = await Http.PrometheusScrape.FetchAsync(server.Http);
            Assert.Equal(5, scrape.Sum("broadcast_server_active_connections", ("broadcast_transport", "websocket")));
            Assert.InRange(scrape.Sum("kestrel_active_connections"), 0, 1);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task On_an_HTTPS_endpoint_an_upgrade_is_served_inside_TLS_and_never_in_plain_text()
    {
        using var certificate = SelfSignedCertificate();
        var app = BroadcastServer.Build(["--urls", "https://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Broadcast:WebSocketStack"] = "Connection",
                ["Broadcast:Limits:HandshakeTimeout"] = "00:00:02",
            });
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        });
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single());

            // A plain-text upgrade sent to the HTTPS port is Kestrel's TLS's to refuse: no WebSocket without TLS.
            using (var plain = await ConnectAsync(address))
            {
                var stream = plain.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeHead(address)));
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                Assert.DoesNotContain("101", await ReadToEndAsync(stream, deadline.Token), StringComparison.Ordinal);
            }

            // Inside TLS, the upgrade is served (by Kestrel's pipeline, as on the Kestrel stack).
            using var tcp = await ConnectAsync(address);
            using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync("localhost");
            await tls.WriteAsync(Encoding.ASCII.GetBytes(UpgradeHead(address)));
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await tls.ReadAsync(one) == 1)
            {
                head.Append((char)one[0]);
            }

            Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(stop.Token);
            await app.DisposeAsync();
        }
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(made.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null);
    }

    private static async Task<TcpClient> ConnectAsync(Uri server)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Host, server.Port);
        return tcp;
    }

    /// <summary>A client's text frame: masked, as RFC 6455 asks of every client frame.</summary>
    private static byte[] MaskedText(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var mask = RandomNumberGenerator.GetBytes(4);
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, deadline.Token) == 1)
        {
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>A whole response: its head and its body, sent with a Content-Length or chunked.</summary>
    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var head = await ReadHeadAsync(stream);
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var chunks = new StringBuilder();
            var one = new byte[1];
            while (!chunks.ToString().EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, deadline.Token) == 1)
            {
                chunks.Append((char)one[0]);
            }

            return head + chunks;
        }

        var length = head.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var body = new byte[length is null ? 0 : int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(body);
        return head + Encoding.UTF8.GetString(body);
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream, CancellationToken cancel)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset: ended all the same.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
