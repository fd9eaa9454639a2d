using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The application's actions on one user over the HTTP API: disconnect every connection of the user, and
/// unsubscribe every connection of the user from a channel; on every node, and nobody else is touched.
/// </summary>
public abstract class UserActionTests(EngineUnderTest engine)
{
    private const string ApiKey = "test-api-key-0123456789";
    private const string AdminKey = "test-admin-key-0123456789";

    private static Dictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
        ["Broadcast:Api:Key"] = ApiKey,
        ["Broadcast:Admin:Key"] = AdminKey,
    }.With(RunningServer.DefaultAnonymousAccess);

    private static string Token(string user) => TestTokens.Hs256(TestTokens.Claims(user, subscribe: ["*"], publish: ["*"]));

    private static async Task<ExtendedClient> ConnectV2Async(RunningServer server, string user) =>
        await ExtendedClient.FromConnectedAsync(await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Authorization", "Bearer " + Token(user));
        }));

    private static Task<TestClient> ConnectLegacyAsync(RunningServer server, string user) =>
        TestClient.ConnectAsync(server.WebSocketUri, options => options.SetRequestHeader("Authorization", "Bearer " + Token(user)));

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(RunningServer server, string path, object? body, string? key = ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        using var response = await server.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task PublishAsync(RunningServer server, string channel, string message) =>
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(server, $"/api/channels/{channel}/publish", new { message })).Status);

    [Fact]
    public async Task Disconnecting_a_user_closes_each_of_its_connections_on_every_node_with_the_code_and_no_other()
    {
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings());
        await using var aliceOnA = await ConnectV2Async(nodes.A, "alice");
        await using var aliceLegacyOnB = await ConnectLegacyAsync(nodes.B, "alice");
        await using var bob = await ConnectV2Async(nodes.B, "bob");
        await bob.SubscribeAsync("room:1");
        await using var anonymous = await nodes.B.ConnectAsync();
        // Every connection registered before the action (one node on the memory engine: all four there).
        await nodes.B.WaitForConnectionCountAsync(ReferenceEquals(nodes.A, nodes.B) ? 4 : 3);

        var (status, body) = await PostAsync(nodes.A, "/api/users/alice/disconnect", new { code = 4007, reason = "account closed" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"user\":\"alice\"", body, StringComparison.Ordinal);

        foreach (var alice in new[] { aliceOnA.Client, aliceLegacyOnB })
        {
            var (close, _) = await alice.ReceiveUntilCloseAsync();
            Assert.Equal(((WebSocketCloseStatus)4007, "account closed"), (close.CloseStatus, close.CloseDescription));
        }

        // Bob and the anonymous legacy client are still connected and still receive.
        await nodes.B.WaitForConnectionCountAsync(2);
        await PublishAsync(nodes.A, "room:1", "still here");
        Assert.Equal("still here", (await bob.ReceiveAsync("pub")).GetProperty("message").GetString());
        await using var sender = await nodes.A.ConnectAsync();
        await sender.SendMessageAsync("on events");
        Assert.Equal("on events", (await anonymous.ReceiveJsonAsync()).GetProperty("message").GetString());

        // Without a body: the documented default close.
        await using var again = await ConnectV2Async(nodes.B, "alice");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(nodes.A, "/api/users/alice/disconnect", null)).Status);
        var (defaultClose, _) = await again.Client.ReceiveUntilCloseAsync();
        Assert.Equal(((WebSocketCloseStatus)4001, "disconnected by the application"), (defaultClose.CloseStatus, defaultClose.CloseDescription));
    }

    [Fact]
    public async Task Unsubscribing_a_user_ends_that_channel_for_each_of_its_v2_connections_with_a_notice_and_spares_others()
    {
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings());
        await using var aliceOnA = await ConnectV2Async(nodes.A, "alice");
        await using var aliceOnB = await ConnectV2Async(nodes.B, "alice");
        await using var bob = await ConnectV2Async(nodes.B, "bob");
        foreach (var client in new[] { aliceOnA, aliceOnB, bob })
        {
            await client.SubscribeAsync("room:1");
            await client.SubscribeAsync("room:2", id: "sub2");
        }

        var (status, _) = await PostAsync(nodes.A, "/api/users/alice/unsubscribe", new { channel = "room:1" });
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var alice in new[] { aliceOnA, aliceOnB })
        {
            var notice = await alice.ReceiveAsync("unsubscribed");
            Assert.Equal("room:1", notice.GetProperty("channel").GetString());
            Assert.Equal("unsubscribed_by_server", notice.GetProperty("code").GetString());
            Assert.False(notice.TryGetProperty("id", out _), "no request of the client's asked for it");
        }

        // room:1 goes on for bob only; alice's next frame is room:2's, which she kept.
        await PublishAsync(nodes.A, "room:1", "only bob");
        await PublishAsync(nodes.A, "room:2", "everyone");
        Assert.Equal(("room:1", "only bob"), Read(await bob.ReceiveAsync("pub")));
        Assert.Equal(("room:2", "everyone"), Read(await bob.ReceiveAsync("pub")));
        foreach (var alice in new[] { aliceOnA, aliceOnB })
        {
            Assert.Equal(("room:2", "everyone"), Read(await alice.ReceiveAsync("pub")));

            // The connection goes on serving requests, and may subscribe again if its token allows it.
            await alice.SubscribeAsync("room:1", id: "again");
        }
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_a_code_and_change_nothing()
    {
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings());
        await using var alice = await ConnectV2Async(nodes.A, "alice");
        await alice.SubscribeAsync("room:1");

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(nodes.A, "/api/users/alice/disconnect", null, key: null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(nodes.A, "/api/users/alice/unsubscribe", new { channel = "room:1" }, key: "wrong-key-0123456789")).Status);
        foreach (var (path, body, code) in new (string, object?, string)[]
        {
            ("/api/users/alice/disconnect", new { code = 1000 }, "code_invalid"),
            ("/api/users/alice/disconnect", new { code = 5000 }, "code_invalid"),
            ("/api/users/alice/disconnect", new { reason = new string('x', 124) }, "reason_invalid"),
            ("/api/users/alice/unsubscribe", null, "channel_invalid"),
            ("/api/users/alice/unsubscribe", new { channel = "no spaces" }, "channel_invalid"),
            ("/api/users/" + new string('u', 257) + "/disconnect", null, "user_invalid"),
        })
        {
            var (status, answer) = await PostAsync(nodes.A, path, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains($"\"code\":\"{code}\"", answer, StringComparison.Ordinal);
        }

        using (var garbage = new HttpRequestMessage(HttpMethod.Post, "/api/users/alice/disconnect") { Content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json") })
        {
            garbage.Headers.Add("X-API-Key", ApiKey);
            using var response = await nodes.A.Http.SendAsync(garbage);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("\"code\":\"invalid_json\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Alice is still connected and subscribed.
        await PublishAsync(nodes.A, "room:1", "nothing happened");
        Assert.Equal(("room:1", "nothing happened"), Read(await alice.ReceiveAsync("pub")));
    }

    [Fact]
    public async Task The_admin_api_has_the_same_actions_behind_the_admin_key_only()
    {
        await using var nodes = await ProxyNodes.StartAsync(engine, Settings());
        await using var alice = await ConnectV2Async(nodes.A, "alice");
        await alice.SubscribeAsync("room:1");
        await using var bob = await ConnectV2Async(nodes.B, "bob");
        await bob.SubscribeAsync("room:1");

        // The API key is not the admin key, and a wrong admin key is refused: nothing is done.
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAdminAsync(nodes.A, "/api/admin/users/alice/disconnect", null, ApiKey)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAdminAsync(nodes.A, "/api/admin/users/alice/unsubscribe", new { channel = "room:1" }, null)).Status);

        var (status, _) = await PostAdminAsync(nodes.B, "/api/admin/users/alice/unsubscribe", new { channel = "room:1" }, AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("unsubscribed_by_server", (await alice.ReceiveAsync("unsubscribed")).GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.OK, (await PostAdminAsync(nodes.B, "/api/admin/users/alice/disconnect", new { code = 4010, reason = "by the operator" }, AdminKey)).Status);
        var (close, _) = await alice.Client.ReceiveUntilCloseAsync();
        Assert.Equal(((WebSocketCloseStatus)4010, "by the operator"), (close.CloseStatus, close.CloseDescription));

        // The connections list names each connection's user, so the page can act on it; bob is still subscribed.
        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/admin/connections");
        list.Headers.Add("X-Admin-Key", AdminKey);
        using var listed = await nodes.B.Http.SendAsync(list);
        Assert.Contains("\"user\":\"bob\"", await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await PublishAsync(nodes.A, "room:1", "bob only");
        Assert.Equal(("room:1", "bob only"), Read(await bob.ReceiveAsync("pub")));
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAdminAsync(RunningServer server, string path, object? body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("X-Admin-Key", key);
        }

        using var response = await server.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static (string?, string?) Read(System.Text.Json.JsonElement pub) =>
        (pub.GetProperty("channel").GetString(), pub.GetProperty("message").GetString());
}

public sealed class UserActionTestsOnMemory(MemoryEngineUnderTest engine) : UserActionTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class UserActionTestsOnRedis(RedisEngineUnderTest engine) : UserActionTests(engine), IClassFixture<RedisEngineUnderTest>;
