using System.Net.WebSockets;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The subscribe proxy: on the channels it covers the application's backend (a real HTTP server) decides who
/// may subscribe; a backend that is down, slow or talking nonsense gets the configured outcome.
/// </summary>
public abstract class SubscribeProxyTests(EngineUnderTest engine)
{
    private static Task<TestBackend> StartBackendAsync() =>
        TestBackend.StartAsync((context, request) => ScriptedBackend.AnswerAsync(context, ScriptedBackend.CaseOfChannel(request)));

    private static async Task<ExtendedClient> ConnectWithCookieAsync(RunningServer server)
    {
        var socket = await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Cookie", "sid=abc123");
        });
        return await ExtendedClient.FromConnectedAsync(socket);
    }

    private static async Task<string> RefusedCodeAsync(ExtendedClient client, string channel)
    {
        await client.SendAsync(new { type = "subscribe", id = "s", channel });
        var error = await client.ReceiveAsync("error");
        Assert.Equal("s", error.GetProperty("id").GetString());
        return error.GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task The_backend_allows_or_refuses_subscriptions_on_the_channels_it_covers_and_only_those()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Subscribe", backend, channels: "gate:*"));
        await using var client = await ConnectWithCookieAsync(nodes.A);
        await using var publisher = await ExtendedClient.ConnectAsync(nodes.B);

        await client.SubscribeAsync("gate:ok:1");
        var asked = Assert.Single(backend.Requests);
        Assert.Equal("/subscribe", asked.Path);
        Assert.Equal("subscribe", asked.Headers["X-Broadcast-Proxy"]);
        Assert.Equal("sid=abc123", asked.Headers["Cookie"]);
        Assert.Equal("gate:ok:1", ScriptedBackend.Field(asked, "channel"));
        Assert.Equal("v2", ScriptedBackend.Field(asked, "protocol"));
        Assert.Equal(client.PublicId, ScriptedBackend.Field(asked, "session"));
        Assert.False(string.IsNullOrEmpty(ScriptedBackend.Field(asked, "client")));

        // The subscription the backend allowed is a real one, fed from the other node too.
        await publisher.PublishAsync("gate:ok:1", "through", "p1");
        Assert.Equal("through", (await client.ReceiveAsync("pub")).GetProperty("message").GetString());

        await client.SendAsync(new { type = "subscribe", id = "s", channel = "gate:refuse:1" });
        var refused = await client.ReceiveAsync("error");
        Assert.Equal(ScriptedBackend.RefusalCode, refused.GetProperty("code").GetString());
        Assert.Equal(ScriptedBackend.RefusalText, refused.GetProperty("error").GetString());
        Assert.Equal("gate:refuse:1", refused.GetProperty("channel").GetString());

        // A channel the proxy does not cover keeps the token's (here: anonymous) permissions; the backend is not asked.
        await client.SubscribeAsync("elsewhere");
        Assert.Equal(2, backend.Requests.Count);

        // A refusal that asks for a disconnect closes the connection with the backend's code and reason.
        await client.SendAsync(new { type = "subscribe", id = "s", channel = "gate:kick:1" });
        var (close, _) = await client.Client.ReceiveUntilCloseAsync();
        Assert.Equal((WebSocketCloseStatus)ScriptedBackend.KickCode, close.CloseStatus);
        Assert.Equal(ScriptedBackend.KickReason, close.CloseDescription);

        // Nobody else was harmed.
        await publisher.PublishAsync("elsewhere", "still here", "p2");
    }

    [Fact]
    public async Task A_backend_that_is_slow_down_or_answers_garbage_denies_by_default_and_the_connection_goes_on()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Subscribe", backend, channels: "gate:*"));
        await using var client = await ExtendedClient.ConnectAsync(nodes.A);

        Assert.Equal("backend_unavailable", await RefusedCodeAsync(client, "gate:slow:1"));
        Assert.Equal("backend_unavailable", await RefusedCodeAsync(client, "gate:garbage:1"));
        Assert.Equal("backend_unavailable", await RefusedCodeAsync(client, "gate:status:1"));

        await backend.StopAsync();
        Assert.Equal("backend_unavailable", await RefusedCodeAsync(client, "gate:ok:1"));

        // The connection is fine: uncovered channels work, and the backend back up decides again.
        await client.SubscribeAsync("elsewhere");
        await backend.StartAgainAsync();
        await client.SubscribeAsync("gate:ok:2");

        // Each call is counted by proxy and outcome.
        var scrape = await PrometheusScrape.FetchAsync(nodes.A.Http);
        static (string, string)[] Labels(string outcome) => [("broadcast_proxy", "subscribe"), ("broadcast_outcome", outcome)];
        Assert.Equal(1, scrape.Sum("broadcast_server_proxy_requests_total", Labels("timeout")));
        Assert.Equal(1, scrape.Sum("broadcast_server_proxy_requests_total", Labels("invalid_answer")));
        Assert.Equal(1, scrape.Sum("broadcast_server_proxy_requests_total", Labels("error_status")));
        Assert.Equal(1, scrape.Sum("broadcast_server_proxy_requests_total", Labels("unreachable")));
        Assert.Equal(1, scrape.Sum("broadcast_server_proxy_requests_total", Labels("allowed")));
    }

    [Fact]
    public async Task With_OnFailure_Allow_a_backend_that_cannot_be_asked_lets_the_subscription_through_but_a_refusal_still_refuses()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Subscribe", backend, onFailure: "Allow", channels: "gate:*"));
        await using var client = await ExtendedClient.ConnectAsync(nodes.A);

        await client.SubscribeAsync("gate:slow:1");
        await client.SubscribeAsync("gate:garbage:1");
        Assert.Equal(ScriptedBackend.RefusalCode, await RefusedCodeAsync(client, "gate:refuse:1"));
        await backend.StopAsync();
        await client.SubscribeAsync("gate:ok:1");
    }
}

public sealed class SubscribeProxyTestsOnMemory(MemoryEngineUnderTest engine) : SubscribeProxyTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class SubscribeProxyTestsOnRedis(RedisEngineUnderTest engine) : SubscribeProxyTests(engine), IClassFixture<RedisEngineUnderTest>;
