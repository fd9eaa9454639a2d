using System.Net.WebSockets;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The refresh proxy: a connection the connect proxy admitted until <c>expireAt</c> is extended (or ended) by the
/// application's backend (a real HTTP server) when that time comes. The user the connect proxy names is the word
/// that tells the test backend how to answer the refresh.
/// </summary>
public abstract class RefreshProxyTests(EngineUnderTest engine)
{
    /// <summary>How far ahead the backend sets each deadline: soon, so the test sees refreshes without waiting long.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    private static long Soon() => DateTimeOffset.UtcNow.Add(Lifetime).ToUnixTimeSeconds() + 1;

    private static Task<TestBackend> StartBackendAsync() =>
        TestBackend.StartAsync((context, request) =>
        {
            var expiry = JsonSerializer.Serialize(new { expireAt = Soon() });
            if (request.Path == "/connect")
            {
                var user = request.Headers.TryGetValue("Cookie", out var cookie) ? cookie[5..] : "ok";
                return TestBackend.WriteJsonAsync(context, JsonSerializer.Serialize(new { result = new { user, expireAt = Soon() } }));
            }

            return ScriptedBackend.AnswerAsync(context, ScriptedBackend.Field(request, "user") ?? "ok", expiry);
        });

    private static Dictionary<string, string?> Settings(TestBackend backend, string onFailure = "Deny") =>
        ProxySettings.For("Connect", backend).With(ProxySettings.For("Refresh", backend, onFailure));

    private static async Task<ExtendedClient> ConnectAsUserAsync(RunningServer server, string user) =>
        await ExtendedClient.FromConnectedAsync(await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Cookie", "case=" + user);
        }));

    private static int Refreshes(TestBackend backend, string user) =>
        backend.Requests.Count(r => r.Path == "/refresh" && ScriptedBackend.Field(r, "user") == user);

    private static DateTimeOffset ExpiryOf(RunningServer server, string publicId) =>
        server.Registry.All().Single(s => s.Session == publicId).Principal!.ExpiresAt;

    [Fact]
    public async Task The_backend_extends_a_connection_again_and_again_and_it_stays_open()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(backend));
        await using var client = await ConnectAsUserAsync(nodes.A, "ok");
        var first = ExpiryOf(nodes.A, client.PublicId);

        await Eventually.TrueAsync(() => Refreshes(backend, "ok") >= 2, TimeSpan.FromSeconds(30), "two refreshes");
        var asked = backend.Requests.First(r => r.Path == "/refresh");
        Assert.Equal("refresh", asked.Headers["X-Broadcast-Proxy"]);
        Assert.Equal(client.PublicId, ScriptedBackend.Field(asked, "session"));
        Assert.True(ExpiryOf(nodes.A, client.PublicId) > first);

        // Still open and working after its first deadline passed.
        await client.SubscribeAsync("events");
        Assert.Equal(WebSocketState.Open, client.Client.Socket.State);
    }

    [Fact]
    public async Task A_refusal_closes_with_1008_token_expired_and_a_disconnect_with_the_backend_code()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(backend));
        await using var refused = await ConnectAsUserAsync(nodes.A, "refuse");
        await using var kicked = await ConnectAsUserAsync(nodes.A, "kick");
        await using var fine = await ConnectAsUserAsync(nodes.A, "ok");

        var (closed, _) = await refused.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed.CloseStatus);
        Assert.Equal("token expired", closed.CloseDescription);
        var (kick, _) = await kicked.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((WebSocketCloseStatus)ScriptedBackend.KickCode, kick.CloseStatus);
        Assert.Equal(ScriptedBackend.KickReason, kick.CloseDescription);

        await Eventually.TrueAsync(() => Refreshes(backend, "ok") >= 1, TimeSpan.FromSeconds(30), "the other client's refresh");
        await fine.SubscribeAsync("events");
    }

    [Fact]
    public async Task A_backend_that_is_slow_or_answers_garbage_ends_the_connection_by_default()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(backend));
        await using var slow = await ConnectAsUserAsync(nodes.A, "slow");
        await using var garbage = await ConnectAsUserAsync(nodes.A, "garbage");

        foreach (var client in new[] { slow, garbage })
        {
            var (closed, _) = await client.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed.CloseStatus);
            Assert.Equal("token expired", closed.CloseDescription);
        }
    }

    [Fact]
    public async Task A_backend_that_is_down_ends_the_connection_by_default()
    {
        await using var backend = await StartBackendAsync();
        await using var server = await engine.StartAsync(Settings(backend));
        await using var client = await ConnectAsUserAsync(server, "ok");
        await backend.StopAsync();

        var (closed, _) = await client.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed.CloseStatus);
    }

    [Fact]
    public async Task With_OnFailure_Allow_a_backend_that_cannot_be_asked_extends_the_connection_and_is_asked_again_later()
    {
        await using var backend = await StartBackendAsync();
        await using var server = await engine.StartAsync(Settings(backend, onFailure: "Allow"));
        await using var client = await ConnectAsUserAsync(server, "garbage");
        var first = ExpiryOf(server, client.PublicId);

        await Eventually.TrueAsync(() => ExpiryOf(server, client.PublicId) > first.AddSeconds(10), TimeSpan.FromSeconds(30), "the connection to be extended");
        Assert.Equal(1, Refreshes(backend, "garbage"));
        await client.SubscribeAsync("events");
        Assert.Equal(WebSocketState.Open, client.Client.Socket.State);
    }
}

public sealed class RefreshProxyTestsOnMemory(MemoryEngineUnderTest engine) : RefreshProxyTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class RefreshProxyTestsOnRedis(RedisEngineUnderTest engine) : RefreshProxyTests(engine), IClassFixture<RedisEngineUnderTest>;
