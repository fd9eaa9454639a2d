using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadcast.Server.Connections;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Http;

/// <summary>
/// <c>GET /api/connect-check</c> answers what the upgrade of the same request would (web/README.md, "Server
/// additions" 4): its refusal with <c>{"error", "code"}</c> in the upgrade's order, or what the connection
/// could do, without taking a place or an upgrade of the per-second budget.
/// </summary>
public sealed class ConnectCheckTests
{
    private const string Path = "/api/connect-check";

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> CheckAsync(HttpClient http, string? token = null, string? origin = null, string? query = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path + query);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        var response = await http.SendAsync(request);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(), response);
    }

    private static string Code(JsonElement body)
    {
        Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
        return body.GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task An_accepted_request_gets_ok_with_the_user_and_the_permissions_the_welcome_would_give_and_is_never_cached()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>(RunningServer.DefaultAnonymousAccess)
        {
            ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
        });

        var (status, body, response) = await CheckAsync(server.Http);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("ok").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("user").ValueKind);
        Assert.Equal("""{"subscribe":["events"],"publish":["events"]}""", body.GetProperty("permissions").GetRawText());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$", body.GetProperty("time").GetString());
        Assert.True(response.Headers.CacheControl?.NoStore);

        // With a token (header or query parameter): what the upgrade with that token gets in its welcome.
        var token = TestTokens.Hs256(TestTokens.Claims("alice", subscribe: ["room:*"], publish: ["room:1"]));
        var (_, withToken, _) = await CheckAsync(server.Http, token);
        var (_, withQuery, _) = await CheckAsync(server.Http, query: "?access_token=" + Uri.EscapeDataString(token));
        var client = await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Authorization", "Bearer " + token);
        });
        await using var upgraded = await ExtendedClient.FromConnectedAsync(client);
        foreach (var answer in new[] { withToken, withQuery })
        {
            Assert.Equal("alice", answer.GetProperty("user").GetString());
            Assert.Equal(upgraded.Welcome.GetProperty("permissions").GetRawText(), answer.GetProperty("permissions").GetRawText());
        }
    }

    [Fact]
    public async Task Token_refusals_are_the_upgrades_401s()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
            ["Broadcast:Auth:Required"] = "true",
        });

        var (status, body, response) = await CheckAsync(server.Http);
        Assert.Equal((HttpStatusCode.Unauthorized, "token_required"), (status, Code(body)));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);

        var forged = TestTokens.Hs256(TestTokens.Claims("mallory"), "another-secret-of-more-than-32-bytes-0123456789");
        (status, body, _) = await CheckAsync(server.Http, forged);
        Assert.Equal((HttpStatusCode.Unauthorized, "token_invalid"), (status, Code(body)));
        (status, body, _) = await CheckAsync(server.Http, query: "?access_token=" + forged);
        Assert.Equal((HttpStatusCode.Unauthorized, "token_invalid"), (status, Code(body)));

        (status, body, _) = await CheckAsync(server.Http, TestTokens.Hs256(TestTokens.Claims("alice", subscribe: ["room:*"], publish: [])));
        Assert.Equal(HttpStatusCode.OK, status);
        // Tokens are required: the anonymous patterns grant nothing.
        Assert.Equal("""{"subscribe":["room:*"],"publish":[]}""", body.GetProperty("permissions").GetRawText());
    }

    [Fact]
    public async Task Origin_and_host_refusals_come_before_the_token_as_in_the_upgrade_and_are_readable_from_the_refused_page()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
            ["Broadcast:Auth:Required"] = "true",
            ["Broadcast:Limits:AllowedOrigins:0"] = "https://app.example.com",
            ["Broadcast:Limits:AllowedHosts:0"] = "chat.example.com",
        });

        // A foreign page without a token: told about its origin first, and its browser may read that (CORS).
        var (status, body, response) = await CheckAsync(server.Http, origin: "https://evil.example");
        Assert.Equal((HttpStatusCode.Forbidden, "origin_forbidden"), (status, Code(body)));
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        // An allowed origin on a host name browsers may not use (DNS rebinding), again before the token.
        using var request = new HttpRequestMessage(HttpMethod.Get, Path);
        request.Headers.Add("Origin", "https://app.example.com");
        request.Headers.Host = "rebound.example";
        using var rebound = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, rebound.StatusCode);
        Assert.Equal("host_forbidden", Code(await rebound.Content.ReadFromJsonAsync<JsonElement>()));

        (status, body, _) = await CheckAsync(server.Http, origin: "https://app.example.com");
        Assert.Equal((HttpStatusCode.Unauthorized, "token_required"), (status, Code(body)));
    }

    [Fact]
    public async Task The_address_limit_is_told_with_Retry_After_and_checking_takes_no_place()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Limits:MaxConnectionsPerAddress"] = "1",
            ["Broadcast:Limits:RetryAfterSeconds"] = "7",
        });

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await CheckAsync(server.Http)).Status);
        }

        // Five checks took nothing: the one place is still free.
        await using var only = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);
        var (status, body, response) = await CheckAsync(server.Http);
        Assert.Equal((HttpStatusCode.TooManyRequests, "too_many_connections"), (status, Code(body)));
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);

        // Another address is not this one.
        using var other = SourceAddress.Http(server.BaseAddress, IPAddress.Parse("127.0.0.2"));
        Assert.Equal(HttpStatusCode.OK, (await CheckAsync(other)).Status);
    }

    [Fact]
    public async Task The_node_limit_and_the_upgrade_rate_are_told_and_checking_spends_no_upgrade()
    {
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Broadcast:Limits:MaxConnections"] = "2",
                ["Broadcast:Limits:MaxUpgradesPerSecond"] = "1",
            },
            // The upgrade budget never refills: what is spent, and what is not, is exact.
            builder => builder.Services.AddSingleton<TimeProvider>(new FrozenTimestamps()));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await CheckAsync(server.Http)).Status);
        }

        // The one upgrade of the budget is still there.
        await using var first = await server.ConnectAsync();
        var (status, body, _) = await CheckAsync(server.Http);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "too_many_upgrades"), (status, Code(body)));
        Assert.StartsWith("HTTP/1.1 503", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_node_and_a_draining_one_are_told_apart()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxConnections"] = "1" });
        await using var only = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);
        var (status, body, response) = await CheckAsync(server.Http);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "server_full"), (status, Code(body)));
        Assert.NotNull(response.Headers.RetryAfter);

        // The drain comes first of all, even before a foreign origin.
        server.App.Services.GetRequiredService<ShutdownDrain>().Begin();
        (status, body, response) = await CheckAsync(server.Http, origin: "https://evil.example");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "shutting_down"), (status, Code(body)));
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Checks_are_limited_per_address_and_a_busy_address_does_not_limit_another()
    {
        await using var server = await RunningServer.StartAsync();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 500 && limited is null; i++)
        {
            var response = await server.Http.GetAsync(Path);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.Equal("rate_limited", Code(await limited.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.NotNull(limited.Headers.RetryAfter);
        limited.Dispose();

        using var other = SourceAddress.Http(server.BaseAddress, IPAddress.Parse("127.0.0.3"));
        Assert.Equal(HttpStatusCode.OK, (await CheckAsync(other)).Status);
    }

    /// <summary>The system clock whose monotonic timestamps stand still: a token bucket read through it never refills.</summary>
    private sealed class FrozenTimestamps : TimeProvider
    {
        private readonly long _timestamp = System.GetTimestamp();

        public override long GetTimestamp() => _timestamp;
    }
}
