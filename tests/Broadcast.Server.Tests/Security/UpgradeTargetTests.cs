using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// Only the exact path upgrades, so a proxy or firewall rule for <c>/ws/events</c> sees every WebSocket;
/// and with <c>AllowedHosts</c> set, a browser page on a rebound name cannot pass as the server's own origin.
/// </summary>
public sealed class UpgradeTargetTests
{
    private static string Origin(string origin) => $"Origin: {origin}\r\n";

    /// <summary>An upgrade request with the given Origin and Host, answered without an upgrade: its status and code.</summary>
    private static async Task<(System.Net.HttpStatusCode Status, string? Code)> RefusalAsync(RunningServer server, string origin, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ws/events");
        request.Headers.Host = host;
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        using var response = await server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body.StartsWith('{') ? System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("code").GetString() : null);
    }

    [Theory]
    [InlineData("/WS/EVENTS")]
    [InlineData("/ws/Events")]
    [InlineData("/ws/events/")]
    [InlineData("/ws/%65vents")]
    [InlineData("/ws/events%2F")]
    [InlineData("/ws/x/../events")]
    [InlineData("/ws/./events")]
    [InlineData("//ws/events")]
    public async Task Only_the_exact_path_upgrades_and_variants_of_it_get_404(string path)
    {
        await using var server = await RunningServer.StartAsync();
        Assert.StartsWith("HTTP/1.1 404", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, path: path), StringComparison.Ordinal);

        // The exact path, with or without a query, still upgrades, and a connection made that way works.
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, path: "/ws/events?x=1"), StringComparison.Ordinal);
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await a.SendMessageAsync("still the endpoint");
        Assert.Equal("still the endpoint", (await b.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task With_allowed_hosts_a_browser_on_another_name_is_refused_while_listed_names_loopback_and_non_browsers_connect()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Limits:AllowedHosts:0"] = "chat.example.com",
            ["Broadcast:Limits:AllowedHosts:1"] = "*.example.org",
        });
        var port = server.BaseAddress.Port;

        // DNS rebinding: the attacker's name now resolves to this server; its page's origin matches its Host.
        var rebound = await RefusalAsync(server, $"http://rebind.evil:{port}", $"rebind.evil:{port}");
        Assert.Equal((System.Net.HttpStatusCode.Forbidden, "host_forbidden"), rebound);
        Assert.StartsWith("HTTP/1.1 403", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("http://example.org"), host: "example.org"), StringComparison.Ordinal);

        foreach (var host in new[] { "chat.example.com", "CHAT.example.com.", "eu.example.org" })
        {
            Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin($"https://{host}"), host: host), StringComparison.Ordinal);
        }

        // Local development keeps working: loopback by name or address, with a dev server's origin too.
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin($"http://localhost:{port}"), host: $"localhost:{port}"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("http://localhost:5173")), StringComparison.Ordinal);
        // Not a browser (no Origin): no page to rebind.
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, host: "rebind.evil"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_allowed_hosts_or_with_every_origin_allowed_the_host_is_not_checked()
    {
        await using (var defaults = await RunningServer.StartAsync())
        {
            Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(defaults.BaseAddress, Origin("https://chat.example.com"), host: "chat.example.com"), StringComparison.Ordinal);
        }

        await using var open = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Limits:AllowedHosts:0"] = "chat.example.com",
            ["Broadcast:Limits:AllowedOrigins:0"] = "*",
        });
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(open.BaseAddress, Origin("http://rebind.evil"), host: "rebind.evil"), StringComparison.Ordinal);
    }
}
