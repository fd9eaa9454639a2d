using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>JWT authentication of WebSocket clients, channel permissions and token expiry, on the real server.</summary>
public sealed class AuthTests
{
    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret };
        foreach (var (key, value) in extra)
        {
            settings["Broadcast:Auth:" + key] = value;
        }

        return settings;
    }

    private static Uri WithToken(RunningServer server, string token) => new(server.WebSocketUri + "?access_token=" + Uri.EscapeDataString(token));

    private static Action<ClientWebSocketOptions> Bearer(string token, bool extended = false) => options =>
    {
        options.SetRequestHeader("Authorization", "Bearer " + token);
        if (extended)
        {
            options.AddSubProtocol("broadcast.v2");
        }
    };

    /// <summary>The HTTP status of a refused upgrade (101 when it was accepted).</summary>
    private static async Task<HttpStatusCode> UpgradeStatusAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            return socket.HttpStatusCode;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    private static async Task<JsonElement> PresenceOfAsync(ExtendedClient client, string channel)
    {
        await client.SendAsync(new { type = "presence", id = "p", channel });
        return await client.ReceiveAsync("presence");
    }

    [Fact]
    public async Task An_HS256_token_is_accepted_from_the_header_and_from_the_query_and_presence_shows_the_user()
    {
        await using var server = await RunningServer.StartAsync(Settings(("Required", "true")));
        var header = await TestClient.ConnectAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(TestTokens.Claims("alice")), extended: true));
        await using var alice = await ExtendedClientFrom(header);
        await alice.SubscribeAsync("room:1");

        var query = await TestClient.ConnectAsync(WithToken(server, TestTokens.Hs256(TestTokens.Claims("bob"))), o => o.AddSubProtocol("broadcast.v2"));
        await using var bob = await ExtendedClientFrom(query);
        await bob.SubscribeAsync("room:1");

        var presence = await PresenceOfAsync(bob, "room:1");
        var users = presence.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("user").GetString()!).Order().ToArray();
        Assert.Equal(["alice", "bob"], users);

        await alice.PublishAsync("room:1", "hi bob", "m1");
        var pub = await bob.ReceiveAsync("pub");
        Assert.Equal("hi bob", pub.GetProperty("message").GetString());
    }

    [Fact]
    public async Task RS256_and_ES256_tokens_are_accepted_with_the_configured_public_key()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using (var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:Required"] = "true",
            ["Broadcast:Auth:PublicKeyPem"] = rsa.ExportSubjectPublicKeyInfoPem(),
        }))
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Rs256(rsa, TestTokens.Claims("r")))));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(WithToken(server, TestTokens.Rs256(rsa, TestTokens.Claims("r")))));
            // Signed by another RSA key, or an HS256 token "signed" with the public key (algorithm confusion).
            using var other = RSA.Create(2048);
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Rs256(other, TestTokens.Claims("r")))));
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(TestTokens.Claims("r"), rsa.ExportSubjectPublicKeyInfoPem()))));
        }

        await using (var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:Required"] = "true",
            // One line, as an environment variable would carry it.
            ["Broadcast:Auth:PublicKeyPem"] = ec.ExportSubjectPublicKeyInfoPem().Replace("\n", "\\n", StringComparison.Ordinal),
        }))
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Es256(ec, TestTokens.Claims("e")))));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(WithToken(server, TestTokens.Es256(ec, TestTokens.Claims("e")))));
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Es256(other, TestTokens.Claims("e")))));
        }
    }

    [Fact]
    public async Task An_EC_public_key_whose_PEM_text_happens_to_contain_RSA_is_read_as_the_EC_key_it_is()
    {
        // About one P-256 key in 2,300 has "RSA" somewhere in its base64: the one RS256_and_ES256 drew now and then.
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var tries = 0; !ec.ExportSubjectPublicKeyInfoPem().Contains("RSA", StringComparison.Ordinal); tries++)
        {
            Assert.True(tries < 200_000, "no P-256 key with RSA in its PEM after 200,000 tries");
            ec.Dispose();
            ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }

        using (ec)
        {
            await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
            {
                ["Broadcast:Auth:Required"] = "true",
                ["Broadcast:Auth:PublicKeyPem"] = ec.ExportSubjectPublicKeyInfoPem(),
            });
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Es256(ec, TestTokens.Claims("e")))));
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Es256(other, TestTokens.Claims("e")))));
        }
    }

    [Fact]
    public async Task The_public_key_can_come_from_a_PEM_file()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(Path.GetTempPath(), $"broadcast-test-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, ec.ExportSubjectPublicKeyInfoPem());
        try
        {
            await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
            {
                ["Broadcast:Auth:Required"] = "true",
                ["Broadcast:Auth:PublicKeyPemFile"] = path,
            });
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Es256(ec, TestTokens.Claims("f")))));
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Es256(other, TestTokens.Claims("f")))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Invalid_tokens_get_401_before_the_upgrade_even_when_tokens_are_optional()
    {
        await using var server = await RunningServer.StartAsync(Settings(("Audience", "broadcast"), ("Issuer", "https://issuer.test"), ("ClockSkew", "00:00:00")));
        Dictionary<string, object?> Good(string sub)
        {
            var claims = TestTokens.Claims(sub);
            claims["aud"] = new[] { "other", "broadcast" };
            claims["iss"] = "https://issuer.test";
            return claims;
        }

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(Good("ok")))));

        var expired = Good("late");
        expired["exp"] = TestTokens.ExpiresIn(TimeSpan.FromSeconds(-5));
        var wrongAudience = Good("aud");
        wrongAudience["aud"] = "somebody-else";
        var wrongIssuer = Good("iss");
        wrongIssuer["iss"] = "https://evil.test";
        var noExpiry = Good("forever");
        noExpiry.Remove("exp");
        var notYet = Good("early");
        notYet["nbf"] = TestTokens.ExpiresIn(TimeSpan.FromMinutes(5));
        var good = TestTokens.Hs256(Good("tampered"));
        var tampered = good[..^4] + (good[^4] == 'A' ? "B" : "A") + good[^3..];

        string[] invalid =
        [
            TestTokens.Hs256(Good("x"), "another-secret-of-more-than-32-bytes-xyz"),
            TestTokens.Hs256(expired),
            TestTokens.Hs256(wrongAudience),
            TestTokens.Hs256(wrongIssuer),
            TestTokens.Hs256(noExpiry),
            TestTokens.Hs256(notYet),
            TestTokens.Unsigned(Good("none")),
            tampered,
            "not.a.token",
            "garbage",
        ];
        for (var i = 0; i < invalid.Length; i++)
        {
            Assert.Equal((i, HttpStatusCode.Unauthorized), (i, await UpgradeStatusAsync(server.WebSocketUri, Bearer(invalid[i]))));
            Assert.Equal((i, HttpStatusCode.Unauthorized), (i, await UpgradeStatusAsync(WithToken(server, invalid[i]))));
        }

        var head = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, $"Authorization: Bearer {TestTokens.Hs256(expired)}\r\n");
        Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
        Assert.Contains("invalid_token", head, StringComparison.Ordinal);
        Assert.Equal(0, server.Registry.Count);
    }

    [Fact]
    public async Task With_tokens_required_a_client_without_one_gets_401_and_by_default_anonymous_legacy_clients_work()
    {
        await using (var strict = await RunningServer.StartAsync(Settings(("Required", "true"))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(strict.WebSocketUri));
            var head = await RawWebSocket.UpgradeResponseAsync(strict.BaseAddress);
            Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
            Assert.Contains("WWW-Authenticate: Bearer", head, StringComparison.OrdinalIgnoreCase);
        }

        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await sender.SendMessageAsync("as before");
        var frame = await receiver.ReceiveJsonAsync();
        Assert.Equal("as before", frame.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Forbidden_subscribe_and_publish_get_an_error_and_nothing_is_delivered()
    {
        await using var server = await RunningServer.StartAsync(Settings(("AnonymousSubscribe", "events"), ("AnonymousPublish", "")));
        var limited = TestTokens.Hs256(TestTokens.Claims("alice", subscribe: ["room:*"], publish: ["room:a"]));
        await using var alice = await ExtendedClientFrom(await TestClient.ConnectAsync(server.WebSocketUri, Bearer(limited, extended: true)));
        var watcherToken = TestTokens.Hs256(TestTokens.Claims("watcher", subscribe: ["*"], publish: []));
        await using var watcher = await ExtendedClientFrom(await TestClient.ConnectAsync(WithToken(server, watcherToken), o => o.AddSubProtocol("broadcast.v2")));
        await watcher.SubscribeAsync("room:a", id: "s1");
        await watcher.SubscribeAsync("room:b", id: "s2");
        await watcher.SubscribeAsync("secret", id: "s3");

        await alice.SendAsync(new { type = "subscribe", id = "x1", channel = "secret" });
        await ExpectErrorAsync(alice, "forbidden", "x1");
        await alice.SendAsync(new { type = "history", id = "x2", channel = "secret" });
        await ExpectErrorAsync(alice, "forbidden", "x2");
        await alice.SendAsync(new { type = "publish", id = "x3", channel = "room:b", message = "must not arrive" });
        await ExpectErrorAsync(alice, "forbidden", "x3");
        await alice.SendAsync(new { type = "publish", id = "x4", channel = "secret", message = "must not arrive" });
        await ExpectErrorAsync(alice, "forbidden", "x4");
        await alice.SubscribeAsync("room:b:deep/er", id: "ok1");
        await alice.PublishAsync("room:a", "allowed", "ok2");

        // The refused publications were sent first; had either been delivered, it would arrive before this one.
        var pub = await watcher.ReceiveAsync("pub");
        Assert.Equal("room:a", pub.GetProperty("channel").GetString());
        Assert.Equal("allowed", pub.GetProperty("message").GetString());
        await watcher.SendAsync(new { type = "history", id = "h", channel = "room:b" });
        Assert.Equal(0, (await watcher.ReceiveAsync("history")).GetProperty("publications").GetArrayLength());

        // Watcher may subscribe anywhere but publish nowhere.
        await watcher.SendAsync(new { type = "publish", id = "w1", channel = "room:a", message = "no" });
        await ExpectErrorAsync(watcher, "forbidden", "w1");

        // An anonymous legacy client may receive on events (AnonymousSubscribe) but not publish there.
        await using var legacyReceiver = await server.ConnectAsync();
        await using var legacySender = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(4);
        await legacySender.SendMessageAsync("anonymous");
        var error = await legacySender.ReceiveJsonAsync();
        Assert.Equal("forbidden", error.GetProperty("code").GetString());

        // A legacy client with a token that allows events may publish; the anonymous one receives it.
        await using var legacyWithToken = await TestClient.ConnectAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(TestTokens.Claims("carol", publish: ["events"]))));
        await server.WaitForConnectionCountAsync(5);
        await legacyWithToken.SendMessageAsync("from carol");
        var received = await legacyReceiver.ReceiveJsonAsync();
        Assert.Equal("from carol", received.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_refresh_whose_token_no_longer_allows_a_subscribed_channel_ends_that_subscription_with_a_notice()
    {
        await using var server = await RunningServer.StartAsync(Settings(("AnonymousSubscribe", ""), ("AnonymousPublish", "")));
        var both = TestTokens.Hs256(TestTokens.Claims("gina", subscribe: ["room:a", "room:b"], publish: []));
        await using var gina = await ExtendedClientFrom(await TestClient.ConnectAsync(server.WebSocketUri, Bearer(both, extended: true)));
        await gina.SubscribeAsync("room:a", id: "s1");
        await gina.SubscribeAsync("room:b", id: "s2");
        var publisherToken = TestTokens.Hs256(TestTokens.Claims("pat"));
        await using var publisher = await ExtendedClientFrom(await TestClient.ConnectAsync(server.WebSocketUri, Bearer(publisherToken, extended: true)));
        await publisher.SubscribeAsync("room:b", presence: true, id: "w1");

        var onlyA = TestTokens.Hs256(TestTokens.Claims("gina", subscribe: ["room:a"], publish: []));
        await gina.SendAsync(new { type = "auth", id = "a1", token = onlyA });

        // The notice comes first, without an id (the server ended the subscription, no request did), then the reply.
        var notice = await gina.ReceiveAsync("unsubscribed");
        Assert.Equal("room:b", notice.GetProperty("channel").GetString());
        Assert.Equal("forbidden", notice.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(notice.GetProperty("error").GetString()));
        Assert.False(notice.TryGetProperty("id", out _));
        var authenticated = await gina.ReceiveAsync("authenticated");
        Assert.Equal("a1", authenticated.GetProperty("id").GetString());

        // Presence subscribers see the subscription end like any other.
        var leave = await publisher.ReceiveAsync("leave");
        Assert.Equal("gina", leave.GetProperty("user").GetString());

        await publisher.PublishAsync("room:b", "must not arrive", "p1");
        await publisher.PublishAsync("room:a", "allowed", "p2");
        // The refused channel's publication was sent first; had it been delivered, it would arrive before this one.
        var pub = await gina.ReceiveAsync("pub");
        Assert.Equal("room:a", pub.GetProperty("channel").GetString());
        Assert.Equal("allowed", pub.GetProperty("message").GetString());

        // The subscription is gone on the server: unsubscribing says so, and subscribing again is refused.
        await gina.SendAsync(new { type = "unsubscribe", id = "u1", channel = "room:b" });
        await ExpectErrorAsync(gina, "not_subscribed", "u1");
        await gina.SendAsync(new { type = "subscribe", id = "s3", channel = "room:b" });
        await ExpectErrorAsync(gina, "forbidden", "s3");
        var presence = await PresenceOfAsync(publisher, "room:b");
        Assert.DoesNotContain(presence.GetProperty("members").EnumerateArray(), m => m.TryGetProperty("user", out var user) && user.GetString() == "gina");
    }

    [Fact]
    public async Task By_default_anonymous_clients_may_use_the_default_channel_and_get_forbidden_elsewhere()
    {
        var settings = new Dictionary<string, string?>(RunningServer.DefaultAnonymousAccess) { ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret };
        await using var server = await RunningServer.StartAsync(settings);
        await using var anonymous = await ExtendedClient.ConnectAsync(server);
        await using var other = await ExtendedClient.ConnectAsync(server);
        await other.SubscribeAsync("events", id: "o1");

        await anonymous.SubscribeAsync("events", id: "s1");
        await anonymous.PublishAsync("events", "hello events", "p1");
        Assert.Equal("hello events", (await other.ReceiveAsync("pub")).GetProperty("message").GetString());

        await anonymous.SendAsync(new { type = "subscribe", id = "s2", channel = "room" });
        await ExpectErrorAsync(anonymous, "forbidden", "s2");
        await anonymous.SendAsync(new { type = "publish", id = "p2", channel = "room", message = "no" });
        await ExpectErrorAsync(anonymous, "forbidden", "p2");
        await anonymous.SendAsync(new { type = "history", id = "h1", channel = "events:more" });
        await ExpectErrorAsync(anonymous, "forbidden", "h1");

        // Legacy clients, which only know events, work as they always did.
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(4);
        await sender.SendMessageAsync("as before");
        Assert.Equal("as before", (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());

        // A token opens what its claims allow.
        var token = TestTokens.Hs256(TestTokens.Claims("hal", subscribe: ["room"], publish: []));
        await using var withToken = await ExtendedClientFrom(await TestClient.ConnectAsync(server.WebSocketUri, Bearer(token, extended: true)));
        await withToken.SubscribeAsync("room", id: "t1");
    }

    [Fact]
    public async Task With_tokens_required_the_anonymous_patterns_grant_nothing_to_a_token_without_claims()
    {
        await using var server = await RunningServer.StartAsync(Settings(("Required", "true")));
        var claims = TestTokens.Claims("dave");
        claims.Remove("subscribe");
        claims.Remove("publish");
        await using var legacy = await TestClient.ConnectAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(claims)));
        var error = await legacy.ReceiveJsonAsync();
        Assert.Equal("forbidden", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_token_that_expires_closes_the_connection_with_1008_unless_it_is_refreshed()
    {
        await using var server = await RunningServer.StartAsync(Settings(("ClockSkew", "00:00:00"), ("ExpiryGrace", "00:00:01")));
        var shortLived = TestTokens.ExpiresIn(TimeSpan.FromSeconds(2));

        await using var stale = await ExtendedClientFrom(await TestClient.ConnectAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(TestTokens.Claims("erin", exp: shortLived)), extended: true)));
        await using var legacy = await TestClient.ConnectAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(TestTokens.Claims("lee", exp: shortLived))));
        await using var fresh = await ExtendedClientFrom(await TestClient.ConnectAsync(server.WebSocketUri, Bearer(TestTokens.Hs256(TestTokens.Claims("fay", exp: shortLived)), extended: true)));

        // Refresh: an invalid token and another user's are refused, and the connection keeps its token.
        await fresh.SendAsync(new { type = "auth", id = "a0", token = "garbage" });
        await ExpectErrorAsync(fresh, "token_invalid", "a0");
        await fresh.SendAsync(new { type = "auth", id = "a1", token = TestTokens.Hs256(TestTokens.Claims("mallory")) });
        await ExpectErrorAsync(fresh, "user_mismatch", "a1");
        var later = TestTokens.ExpiresIn(TimeSpan.FromMinutes(10));
        await fresh.SendAsync(new { type = "auth", id = "a2", token = TestTokens.Hs256(TestTokens.Claims("fay", exp: later)) });
        var authenticated = await fresh.ReceiveAsync("authenticated");
        Assert.Equal("a2", authenticated.GetProperty("id").GetString());
        Assert.Equal("fay", authenticated.GetProperty("user").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(later), authenticated.GetProperty("expires").GetDateTimeOffset());

        foreach (var client in new[] { stale.Client, legacy })
        {
            var (close, _) = await client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
            Assert.Equal("token expired", close.CloseDescription);
        }

        // Well past the old deadline, the refreshed connection still works.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var ack = await fresh.PublishAsync("room", "still here", "p1");
        Assert.Equal("room", ack.GetProperty("channel").GetString());
        await server.WaitForConnectionCountAsync(1);
    }

    [Fact]
    public async Task A_token_in_the_query_string_never_reaches_the_logs_even_at_Trace()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__Console__LogLevel__Default"] = "Trace",
            ["Broadcast__Auth__HmacSecret"] = TestTokens.Secret,
        });
        var baseAddress = await server.WaitUntilListeningAsync();
        var wsUri = new Uri($"ws://{baseAddress.Authority}/ws/events");
        var valid = TestTokens.Hs256(TestTokens.Claims("quinn"));
        var invalid = "invalid-token-" + Guid.NewGuid().ToString("N");
        var payload = "payload-" + Guid.NewGuid().ToString("N");

        await using (var client = await TestClient.ConnectAsync(new Uri(wsUri + "?access_token=" + valid + "&other=1")))
        {
            await client.SendMessageAsync(payload);
            await client.CloseAsync();
            await client.ReceiveUntilCloseAsync();
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(new Uri(wsUri + "?access_token=" + invalid)));
        await Eventually.TrueAsync(() => server.Output.Contains("closed", StringComparison.Ordinal) && server.Output.Contains("Refused", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the connection's close and the refusal to be logged");
        // Stopping the server flushes whatever else it had to log about these requests.
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var output = server.Output;
        Assert.Contains("trce", output, StringComparison.Ordinal);
        Assert.DoesNotContain(valid, output, StringComparison.Ordinal);
        Assert.DoesNotContain(valid.Split('.')[2], output, StringComparison.Ordinal);
        Assert.DoesNotContain(invalid, output, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", output, StringComparison.Ordinal);
        Assert.DoesNotContain(payload, output, StringComparison.Ordinal);
    }

    private static async Task ExpectErrorAsync(ExtendedClient client, string code, string id)
    {
        var error = await client.ReceiveAsync("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(id, error.GetProperty("id").GetString());
    }

    /// <summary>Says hello on an already connected v2 socket (the token went with the upgrade).</summary>
    private static Task<ExtendedClient> ExtendedClientFrom(TestClient client) => ExtendedClient.FromConnectedAsync(client);
}
