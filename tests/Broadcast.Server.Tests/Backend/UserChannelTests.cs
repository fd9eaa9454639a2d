using System.Net;
using System.Net.Http.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// Server-side subscriptions (a token's <c>channels</c> claim, the connect proxy's <c>channels</c>) and per-user
/// channels (<c>@user:{sub}</c>), which the HTTP API publishes to: every connection of one user, on every node.
/// </summary>
public abstract class UserChannelTests(EngineUnderTest engine)
{
    private const string ApiKey = "test-api-key-0123456789";

    private static Dictionary<string, string?> Settings(bool userChannels = false) => new Dictionary<string, string?>
    {
        ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
        ["Broadcast:Auth:UserChannels"] = userChannels ? "true" : "false",
        ["Broadcast:Api:Key"] = ApiKey,
    }.With(RunningServer.DefaultAnonymousAccess);

    private static async Task<ExtendedClient> ConnectAsync(RunningServer server, Dictionary<string, object?> claims) =>
        await ExtendedClient.FromConnectedAsync(await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Authorization", "Bearer " + TestTokens.Hs256(claims));
        }));

    private static Dictionary<string, object?> WithChannels(string sub, params string[] channels)
    {
        var claims = TestTokens.Claims(sub);
        claims["channels"] = channels;
        return claims;
    }

    private static async Task<HttpStatusCode> PostAsync(RunningServer server, string path, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { message }) };
        request.Headers.Add("X-API-Key", ApiKey);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task ExpectServerSubscribedAsync(ExtendedClient client, string channel)
    {
        var subscribed = await client.ReceiveAsync("subscribed");
        Assert.Equal(channel, subscribed.GetProperty("channel").GetString());
        Assert.False(subscribed.TryGetProperty("id", out _), "a subscription no request asked for has no id");
    }

    [Fact]
    public async Task The_channels_claim_subscribes_a_v2_connection_after_welcome_and_a_legacy_one_only_gets_events()
    {
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings());
        await using var ann = await ConnectAsync(nodes.A, WithChannels("ann", "news", "alerts"));
        await ExpectServerSubscribedAsync(ann, "news");
        await ExpectServerSubscribedAsync(ann, "alerts");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(nodes.B, "/api/channels/news/publish", "from the server"));
        var pub = await ann.ReceiveAsync("pub");
        Assert.Equal(("news", "from the server"), (pub.GetProperty("channel").GetString(), pub.GetProperty("message").GetString()));

        // Named by the token, so it may also subscribe again itself (no patterns needed).
        await ann.SendAsync(new { type = "unsubscribe", id = "u", channel = "alerts" });
        await ann.ReceiveAsync("unsubscribed");
        await ann.SubscribeAsync("alerts");

        // A legacy client with the same token: the original protocol, only events.
        await using var legacy = await TestClient.ConnectAsync(nodes.A.WebSocketUri, options => options.SetRequestHeader("Authorization", "Bearer " + TestTokens.Hs256(WithChannels("ann", "news"))));
        await using var sender = await nodes.A.ConnectAsync();
        await nodes.A.WaitForConnectionCountAsync(3);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(nodes.A, "/api/channels/news/publish", "not for legacy"));
        await sender.SendMessageAsync("on events");
        var first = await legacy.ReceiveJsonAsync();
        Assert.Equal("on events", first.GetProperty("message").GetString());
        Assert.Equal(["message", "timestamp"], first.EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Fact]
    public async Task The_connect_proxy_can_name_channels_the_connection_is_subscribed_to()
    {
        await using var backend = await TestBackend.StartAsync(TestBackend.Json("""{"result":{"user":"bob","channels":["room:7"]}}"""));
        await using var server = await engine.StartAsync(ProxySettings.For("Connect", backend).With(Settings()));
        await using var bob = await ExtendedClient.ConnectAsync(server);
        await ExpectServerSubscribedAsync(bob, "room:7");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(server, "/api/channels/room:7/publish", "hello bob"));
        Assert.Equal("hello bob", (await bob.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_publish_to_a_user_reaches_every_connection_of_that_user_on_every_node_and_nobody_else()
    {
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings(userChannels: true));
        await using var aliceOnA = await ConnectAsync(nodes.A, TestTokens.Claims("alice", subscribe: ["*"], publish: ["*"]));
        await ExpectServerSubscribedAsync(aliceOnA, "@user:alice");
        await using var aliceOnB = await ConnectAsync(nodes.B, TestTokens.Claims("alice"));
        await ExpectServerSubscribedAsync(aliceOnB, "@user:alice");
        await using var bob = await ConnectAsync(nodes.B, TestTokens.Claims("bob", subscribe: ["*"], publish: ["*"]));
        await ExpectServerSubscribedAsync(bob, "@user:bob");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(nodes.A, "/api/users/alice/publish", "for alice"));
        foreach (var alice in new[] { aliceOnA, aliceOnB })
        {
            var pub = await alice.ReceiveAsync("pub");
            Assert.Equal(("@user:alice", "for alice"), (pub.GetProperty("channel").GetString(), pub.GetProperty("message").GetString()));
        }

        // Bob's own comes next for him: he never saw alice's.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(nodes.A, "/api/users/bob/publish", "for bob"));
        Assert.Equal("for bob", (await bob.ReceiveAsync("pub")).GetProperty("message").GetString());

        // Another user's channel is closed to everyone else, whatever the patterns; no client publishes to a user channel.
        await bob.SendAsync(new { type = "subscribe", id = "s", channel = "@user:alice" });
        Assert.Equal("forbidden", (await bob.ReceiveAsync("error")).GetProperty("code").GetString());
        await aliceOnA.SendAsync(new { type = "publish", id = "p", channel = "@user:alice", message = "me" });
        Assert.Equal("forbidden", (await aliceOnA.ReceiveAsync("error")).GetProperty("code").GetString());
        await using var open = await engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Auth:AnonymousSubscribe"] = "*" });
        await using var anonymous = await ExtendedClient.ConnectAsync(open);
        await anonymous.SendAsync(new { type = "subscribe", id = "s", channel = "@user:alice" });
        Assert.Equal("forbidden", (await anonymous.ReceiveAsync("error")).GetProperty("code").GetString());

        // The API key guards it like every API publish.
        using var keyless = new HttpRequestMessage(HttpMethod.Post, "/api/users/alice/publish") { Content = JsonContent.Create(new { message = "x" }) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await nodes.A.Http.SendAsync(keyless)).StatusCode);
    }

    [Fact]
    public async Task The_channel_api_sends_user_channel_publishes_to_the_users_api_and_never_reaches_the_internal_channel()
    {
        await using var server = await engine.StartAsync(Settings(userChannels: true));
        await using var alice = await ConnectAsync(server, TestTokens.Claims("alice"));
        await ExpectServerSubscribedAsync(alice, "@user:alice");

        // One way in to a user: /api/users/{user}/publish. The channel API refuses, and says where to go.
        using var publish = new HttpRequestMessage(HttpMethod.Post, "/api/channels/@user:alice/publish") { Content = JsonContent.Create(new { message = "sideways" }) };
        publish.Headers.Add("X-API-Key", ApiKey);
        using var refused = await server.Http.SendAsync(publish);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = await refused.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("channel_invalid", error.GetProperty("code").GetString());
        Assert.Contains("/api/users/{user}/publish", error.GetProperty("error").GetString(), StringComparison.Ordinal);

        // The internal channel of user actions (a forged "disconnect alice" would be carried out) is not reachable at all.
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, "/api/channels/@user:/publish", "{\"action\":\"disconnect\",\"user\":\"alice\",\"code\":4001,\"reason\":\"forged\"}"));
        foreach (var read in new[] { "/api/channels/@user:/history", "/api/channels/@user:/presence" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, read);
            request.Headers.Add("X-API-Key", ApiKey);
            Assert.Equal(HttpStatusCode.BadRequest, (await server.Http.SendAsync(request)).StatusCode);
        }

        // A user's own channel is readable (who of alice is connected), and alice got nothing from the refused publishes.
        using var presence = new HttpRequestMessage(HttpMethod.Get, "/api/channels/@user:alice/presence");
        presence.Headers.Add("X-API-Key", ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(presence)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(server, "/api/users/alice/publish", "the right way"));
        Assert.Equal("the right way", (await alice.ReceiveAsync("pub")).GetProperty("message").GetString());
    }
}

public sealed class UserChannelTestsOnMemory(MemoryEngineUnderTest engine) : UserChannelTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class UserChannelTestsOnRedis(RedisEngineUnderTest engine) : UserChannelTests(engine), IClassFixture<RedisEngineUnderTest>;
