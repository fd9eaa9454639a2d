using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;
using Microsoft.AspNetCore.Http;

namespace Broadcast.Server.Tests.Backend;

/// <summary>How a proxy calls the backend, whatever the engine: who is asked, which headers go along, which failures are tried again.</summary>
public sealed class ProxyCallTests
{
    [Fact]
    public async Task A_client_with_a_valid_token_is_not_asked_about_and_only_the_listed_headers_are_forwarded()
    {
        await using var backend = await TestBackend.StartAsync(TestBackend.Json("""{"result":{"user":"from-backend"}}"""));
        var settings = ProxySettings.For("Connect", backend);
        settings["Broadcast:Auth:HmacSecret"] = TestTokens.Secret;
        settings["Broadcast:Proxy:ForwardHeaders"] = "Cookie, X-Tenant";
        await using var server = await RunningServer.StartAsync(settings);

        await using var withToken = await TestClient.ConnectAsync(server.WebSocketUri, options =>
            options.SetRequestHeader("Authorization", "Bearer " + TestTokens.Hs256(TestTokens.Claims("ann"))));
        await server.WaitForConnectionCountAsync(1);
        Assert.Empty(backend.Requests);

        await using var without = await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.SetRequestHeader("Cookie", "sid=1");
            options.SetRequestHeader("X-Tenant", "acme");
            options.SetRequestHeader("X-Secret", "not for the backend");
        });
        var asked = Assert.Single(backend.Requests);
        Assert.Equal("sid=1", asked.Headers["Cookie"]);
        Assert.Equal("acme", asked.Headers["X-Tenant"]);
        Assert.False(asked.Headers.ContainsKey("X-Secret"));
        Assert.False(asked.Headers.ContainsKey("User-Agent"));
    }

    [Fact]
    public async Task A_call_that_did_not_reach_the_backend_is_tried_again_where_retries_are_on_and_not_where_they_are_off()
    {
        var calls = 0;
        await using var backend = await TestBackend.StartAsync((context, _) =>
            Interlocked.Increment(ref calls) % 2 == 1
                ? TestBackend.WriteJsonAsync(context, "{}", StatusCodes.Status503ServiceUnavailable)
                : TestBackend.WriteJsonAsync(context, """{"result":{"data":{"ok":true}}}"""));
        var settings = ProxySettings.For("Connect", backend).With(ProxySettings.For("Rpc", backend));
        settings["Broadcast:Proxy:Connect:Retries"] = "2";
        await using var server = await RunningServer.StartAsync(settings);

        // Connect: a 503, then the answer; the client never notices.
        await using var client = await ExtendedClient.ConnectAsync(server);
        Assert.Equal(2, backend.CountRequests("/connect"));
        Assert.True(client.Welcome.GetProperty("data").GetProperty("ok").GetBoolean());

        // Rpc (no retries by default): the 503 is the outcome.
        await client.SendAsync(new { type = "rpc", id = "r1", method = "m" });
        Assert.Equal("backend_unavailable", (await client.ReceiveAsync("error")).GetProperty("code").GetString());
        Assert.Equal(1, backend.CountRequests("/rpc"));
    }


    [Fact]
    public async Task With_tokens_required_the_connect_proxy_takes_the_place_of_the_token_but_an_invalid_token_is_refused_unasked()
    {
        await using var backend = await TestBackend.StartAsync(TestBackend.Json("""{"result":{"user":"carol"}}"""));
        var settings = ProxySettings.For("Connect", backend);
        settings["Broadcast:Auth:HmacSecret"] = TestTokens.Secret;
        settings["Broadcast:Auth:Required"] = "true";
        await using var server = await RunningServer.StartAsync(settings);

        await using var admitted = await ExtendedClient.ConnectAsync(server);
        Assert.Single(backend.Requests);

        var invalid = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, "Authorization: Bearer " + TestTokens.Hs256(TestTokens.Claims("eve"), new string('x', 40)) + "\r\n");
        Assert.StartsWith("HTTP/1.1 401", invalid, StringComparison.Ordinal);
        Assert.Single(backend.Requests);
    }
}
