using System.Net;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The connect proxy: a client without a token is admitted (or not) by the application's backend (a real HTTP
/// server) before the upgrade; the backend names the user, its permissions and data for the client.
/// </summary>
public abstract class ConnectProxyTests(EngineUnderTest engine)
{
    private const string Admitted = """{"user":"alice","subscribe":["room:*"],"data":{"greeting":"hi","n":1}}""";

    private static Task<TestBackend> StartBackendAsync() =>
        TestBackend.StartAsync((context, request) =>
        {
            var word = request.Headers.TryGetValue("Cookie", out var cookie) && cookie.StartsWith("case=", StringComparison.Ordinal) ? cookie[5..] : "ok";
            return word == "anonymous" ? ScriptedBackend.AnswerAsync(context, "ok") : ScriptedBackend.AnswerAsync(context, word, Admitted);
        });

    private static Dictionary<string, string?> Settings(TestBackend backend, string onFailure = "Deny") =>
        ProxySettings.For("Connect", backend, onFailure).With(RunningServer.DefaultAnonymousAccess);

    private static Task<TestClient> ConnectV2Async(RunningServer server, string @case) =>
        TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Cookie", "case=" + @case);
        });

    [Fact]
    public async Task The_backend_names_the_user_its_permissions_and_data_for_the_client_and_other_nodes_see_that_user()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(backend));
        await using var alice = await ExtendedClient.FromConnectedAsync(await ConnectV2Async(nodes.A, "ok"));

        var data = alice.Welcome.GetProperty("data");
        Assert.Equal("hi", data.GetProperty("greeting").GetString());
        Assert.Equal(1, data.GetProperty("n").GetInt32());
        var asked = Assert.Single(backend.Requests);
        Assert.Equal("/connect", asked.Path);
        Assert.Equal("connect", asked.Headers["X-Broadcast-Proxy"]);
        Assert.Equal("v2", ScriptedBackend.Field(asked, "protocol"));
        Assert.Equal("127.0.0.1", ScriptedBackend.Field(asked, "remoteAddress"));

        // The backend's permissions, not the anonymous ones (events only here).
        await alice.SubscribeAsync("room:1");
        await alice.SendAsync(new { type = "subscribe", id = "x", channel = "elsewhere" });
        Assert.Equal("forbidden", (await alice.ReceiveAsync("error")).GetProperty("code").GetString());

        // The user the backend named is who presence shows, on the other node too.
        await using var watcher = await ExtendedClient.FromConnectedAsync(await ConnectV2Async(nodes.B, "ok"));
        await Eventually.TrueAsync(
            async () =>
            {
                await watcher.SendAsync(new { type = "presence", id = "p", channel = "room:1" });
                var presence = await watcher.ReceiveAsync("presence");
                return presence.GetProperty("members").EnumerateArray().Any(m => m.GetProperty("session").GetString() == alice.PublicId && m.TryGetProperty("user", out var user) && user.GetString() == "alice");
            },
            TimeSpan.FromSeconds(20),
            "alice in presence");

        // A result without fields admits an anonymous client, with no data in welcome.
        await using var nobody = await ExtendedClient.FromConnectedAsync(await ConnectV2Async(nodes.A, "anonymous"));
        Assert.False(nobody.Welcome.TryGetProperty("data", out _));
        await nobody.SendAsync(new { type = "subscribe", id = "x", channel = "room:1" });
        Assert.Equal("forbidden", (await nobody.ReceiveAsync("error")).GetProperty("code").GetString());

        // A legacy client admitted by the backend gets the original protocol and nothing else.
        await using var legacy = await TestClient.ConnectAsync(nodes.A.WebSocketUri, options => options.SetRequestHeader("Cookie", "case=ok"));
        await using var sender = await TestClient.ConnectAsync(nodes.A.WebSocketUri, options => options.SetRequestHeader("Cookie", "case=ok"));
        // alice, nobody, the two legacy clients, and the watcher when it is on this node.
        await nodes.A.WaitForConnectionCountAsync(ReferenceEquals(nodes.A, nodes.B) ? 5 : 4);
        await sender.SendMessageAsync("plain");
        var received = await legacy.ReceiveJsonAsync();
        Assert.Equal(["message", "timestamp"], received.EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Fact]
    public async Task The_backend_is_told_which_transport_carries_the_client()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(backend));
        await using (var socket = await ConnectV2Async(nodes.A, "ok"))
        {
            Assert.Equal("websocket", ScriptedBackend.Field(backend.Requests[^1], "transport"));
        }

        await using (var stream = await HttpStreamClient.OpenAsync(nodes.A.BaseAddress, r => r.Headers.Add("Cookie", "case=ok")))
        {
            Assert.Equal("alice", (await stream.HelloAsync()).GetProperty("user").GetString());
            Assert.Equal("http_stream", ScriptedBackend.Field(backend.Requests[^1], "transport"));
        }

        var (opened, answer) = await SseClient.TryOpenAsync(nodes.A.BaseAddress, "/sse?channel=room:1", configure: r => r.Headers.Add("Cookie", "case=ok"));
        Assert.True(opened is not null, $"SSE refused: {answer.StatusCode}");
        await using (var sse = opened)
        {
            Assert.Equal("alice", (await sse.ReceiveAsync("welcome")).Json.GetProperty("user").GetString());
            Assert.Equal("sse", ScriptedBackend.Field(backend.Requests[^1], "transport"));
        }
    }

    [Fact]
    public async Task A_refusal_is_403_with_the_backend_code_and_a_backend_that_cannot_be_asked_is_503_by_default()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(backend));
        var uri = nodes.A.WebSocketUri;

        var refused = await UpgradeAnswer.RequestAsync(uri, "case=refuse");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal(ScriptedBackend.RefusalCode, refused.Code);
        Assert.Equal(ScriptedBackend.RefusalText, refused.Body.GetProperty("error").GetString());

        // A disconnect answer has no connection to close yet: it is a refusal too.
        var kicked = await UpgradeAnswer.RequestAsync(uri, "case=kick");
        Assert.Equal(HttpStatusCode.Forbidden, kicked.Status);
        Assert.Equal("connect_refused", kicked.Code);

        foreach (var failing in new[] { "slow", "garbage", "status", "wrongshape" })
        {
            var answer = await UpgradeAnswer.RequestAsync(uri, "case=" + failing);
            Assert.Equal((failing, HttpStatusCode.ServiceUnavailable, "backend_unavailable"), (failing, answer.Status, answer.Code));
            Assert.NotNull(answer.RetryAfter);
        }

        await backend.StopAsync();
        var down = await UpgradeAnswer.RequestAsync(uri, "case=ok");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "backend_unavailable"), (down.Status, down.Code));
        Assert.Equal(0, nodes.A.Registry.Count);

        await backend.StartAgainAsync();
        await using var back = await ExtendedClient.FromConnectedAsync(await ConnectV2Async(nodes.A, "ok"));
        Assert.Equal("hi", back.Welcome.GetProperty("data").GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task With_OnFailure_Allow_a_backend_that_cannot_be_asked_admits_an_anonymous_client_but_a_refusal_still_refuses()
    {
        await using var backend = await StartBackendAsync();
        await using var server = await engine.StartAsync(Settings(backend, onFailure: "Allow"));

        await using var slow = await ExtendedClient.FromConnectedAsync(await ConnectV2Async(server, "slow"));
        Assert.False(slow.Welcome.TryGetProperty("data", out _));
        await slow.SendAsync(new { type = "subscribe", id = "x", channel = "room:1" });
        Assert.Equal("forbidden", (await slow.ReceiveAsync("error")).GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await UpgradeAnswer.RequestAsync(server.WebSocketUri, "case=refuse")).Status);
        await backend.StopAsync();
        await using var whileDown = await ExtendedClient.FromConnectedAsync(await ConnectV2Async(server, "ok"));
        await whileDown.SubscribeAsync("events");
    }
}

public sealed class ConnectProxyTestsOnMemory(MemoryEngineUnderTest engine) : ConnectProxyTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class ConnectProxyTestsOnRedis(RedisEngineUnderTest engine) : ConnectProxyTests(engine), IClassFixture<RedisEngineUnderTest>;
