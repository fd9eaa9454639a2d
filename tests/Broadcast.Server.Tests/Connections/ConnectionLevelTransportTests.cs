using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broadcast.Server.Transport.RawWebSockets;
using Broadcast.Server.Transport.WebSockets;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// The connection-level WebSocket transport (<c>Broadcast:WebSocketStack</c> = <c>Connection</c>, the
/// default): it serves the upgrades, plain HTTP stays on Kestrel on the same port, and every refusal reads as it does on
/// Kestrel's path (status, headers that matter, body).
/// </summary>
public sealed class ConnectionLevelTransportTests
{
    private static Dictionary<string, string?> On(string transport, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>(more ?? []) { ["Broadcast:WebSocketStack"] = transport };
        return settings;
    }

    [Theory]
    [InlineData(null, typeof(RawWebSocketConnection))]
    [InlineData("Connection", typeof(RawWebSocketConnection))]
    [InlineData("Kestrel", typeof(WebSocketWriter))]
    public async Task The_setting_chooses_the_transport_and_the_original_protocol_works_on_it(string? transport, Type expected)
    {
        // Without the setting: the default, unless the whole suite runs on one stack (Broadcast__WebSocketStack).
        if (transport is null && Environment.GetEnvironmentVariable("Broadcast__WebSocketStack") is "Kestrel")
        {
            expected = typeof(WebSocketWriter);
        }

        await using var server = await RunningServer.StartAsync(transport is null ? null : On(transport));
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        Assert.All(server.Registry.All(), session => Assert.IsType(expected, session.Frames));

        await publisher.SendMessageAsync("hello over " + transport);
        var received = await watcher.ReceiveJsonAsync();
        Assert.Equal("hello over " + transport, received.GetProperty("message").GetString());
        Assert.True(received.TryGetProperty("timestamp", out _));

        // Bad input: an error to the sender only.
        await publisher.SendTextAsync("not json");
        Assert.Equal("invalid_json", (await publisher.ReceiveJsonAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Plain_HTTP_on_the_same_port_and_connection_goes_on_to_Kestrel()
    {
        await using var server = await RunningServer.StartAsync(On("Connection"));
        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);

        // A GET of /ws/events without an upgrade is answered by the HTTP endpoint, as before.
        using var plain = await server.Http.GetAsync("/ws/events");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("websocket_required", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_offered_subprotocol_is_negotiated_and_compression_is_not()
    {
        await using var server = await RunningServer.StartAsync(On("Connection"));
        var response = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, "Sec-WebSocket-Protocol: something.else, broadcast.v2\r\nSec-WebSocket-Extensions: permessage-deflate\r\n");
        Assert.StartsWith("HTTP/1.1 101", response, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Protocol: broadcast.v2", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", response, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "origin", "Broadcast:Limits:AllowedOrigins:0=https://app.example.com", "Origin: https://evil.example\r\n" },
        { "token required", "Broadcast:Auth:Required=true", "" },
        { "token invalid", "Broadcast:Auth:Required=false", "Authorization: Bearer not-a-token\r\n" },
        { "server full", "Broadcast:Limits:MaxConnections=1", "" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refusal_has_the_same_status_headers_and_body_on_both_paths(string name, string setting, string headers)
    {
        var (key, value) = (setting[..setting.IndexOf('=', StringComparison.Ordinal)], setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var answers = new List<(string Status, string? RetryAfter, string? Authenticate, string Body)>();
        foreach (var transport in new[] { "Kestrel", "Connection" })
        {
            await using var server = await RunningServer.StartAsync(On(transport, new() { [key] = value, ["Broadcast:Auth:HmacSecret"] = Broadcast.Server.Tests.Security.TestTokens.Secret }));
            await using var holder = name == "server full" ? await server.ConnectAsync() : null;
            if (holder is not null)
            {
                await server.WaitForConnectionCountAsync(1);
            }

            answers.Add(await RefusalAsync(server.BaseAddress, headers));
        }

        Assert.Matches("^HTTP/1.1 4[0-9][0-9]|^HTTP/1.1 503", answers[0].Status);
        Assert.Equal(answers[0], answers[1]);
    }

    [Theory]
    [InlineData("Kestrel")]
    [InlineData("Connection")]
    public async Task ASP_NET_Cores_AllowedHosts_still_filters_upgrades(string transport)
    {
        await using var server = await RunningServer.StartAsync(On(transport, new() { ["AllowedHosts"] = "allowed.example;*.wild.example" }));
        Assert.StartsWith("HTTP/1.1 400", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, host: "allowed.example"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, host: "a.wild.example:80"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_access_token_is_accepted_from_the_query()
    {
        await using var server = await RunningServer.StartAsync(On("Connection", new() { ["Broadcast:Auth:Required"] = "true", ["Broadcast:Auth:HmacSecret"] = Broadcast.Server.Tests.Security.TestTokens.Secret }));
        var token = Broadcast.Server.Tests.Security.TestTokens.Hs256(Broadcast.Server.Tests.Security.TestTokens.Claims("alice"));
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, path: "/ws/events?access_token=" + Uri.EscapeDataString(token)), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 401", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, path: "/ws/events?access_token=wrong"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quiet_client_is_pinged_and_one_that_never_answers_is_dropped()
    {
        await using var server = await RunningServer.StartAsync(On("Connection", new()
        {
            ["Broadcast:KeepAliveInterval"] = "00:00:01",
            ["Broadcast:KeepAliveTimeout"] = "00:00:02",
        }));
        await using var raw = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await server.WaitForConnectionCountAsync(1);
        var ping = await raw.ReceiveFrameAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(ping);
        Assert.Equal(RawWebSocket.Ping, ping.Opcode);

        // Never answered: the server gives up on it.
        await server.WaitForConnectionCountAsync(0, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Shutdown_sends_what_was_queued_then_1001()
    {
        var server = await RunningServer.StartAsync(On("Connection"));
        await using var raw = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await server.WaitForConnectionCountAsync(1);
        var stopping = server.DisposeAsync();
        var close = await raw.ReceiveCloseAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(close);
        Assert.Equal(1001, close.CloseCode);
        await raw.SendCloseAsync(1001);
        await stopping;
    }

    /// <summary>Sends an upgrade request and reads the whole answer: status line, two headers that matter, and the body, unchunked.</summary>
    private static async Task<(string Status, string? RetryAfter, string? Authenticate, string Body)> RefusalAsync(Uri server, string headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /ws/events HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n"));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!IsComplete(received.ToArray()))
        {
            var read = await stream.ReadAsync(buffer, deadline.Token);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text[..split].Split("\r\n");
        string? Header(string name) => head.Skip(1).Where(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(h => h[(name.Length + 1)..].Trim()).FirstOrDefault();
        var body = text[(split + 4)..];
        if (string.Equals(Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        // Compared as JSON values: key order and spacing are the serializer's.
        return (head[0], Header("Retry-After"), Header("WWW-Authenticate"), body.Length == 0 ? "" : JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement));
    }

    private static bool IsComplete(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var head = text[..split];
        var body = text[(split + 4)..];
        var length = head.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (length is not null)
        {
            return Encoding.UTF8.GetByteCount(body) >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return !head.Contains("chunked", StringComparison.OrdinalIgnoreCase) || body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    private static string Unchunk(string body)
    {
        var result = new StringBuilder();
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = Convert.ToInt32(body[..lineEnd], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(body.AsSpan(lineEnd + 2, size));
            body = body[(lineEnd + 2 + size + 2)..];
        }
    }
}
