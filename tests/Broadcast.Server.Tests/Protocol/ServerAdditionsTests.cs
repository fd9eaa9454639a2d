using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Protocol;

/// <summary>
/// What a v2 client learns without asking (web/README.md, "Server additions" 1-3): the welcome says what the
/// connection may do, who it is and the server's time; a token refresh says what the new token allows; every
/// ack carries the server's time. The permissions told are the ones the server enforces.
/// </summary>
public sealed partial class ServerAdditionsTests
{
    private static Dictionary<string, string?> Settings(bool required = false) => new(RunningServer.DefaultAnonymousAccess)
    {
        ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
        ["Broadcast:Auth:Required"] = required ? "true" : "false",
    };

    private static async Task<ExtendedClient> ConnectWithTokenAsync(RunningServer server, string token)
    {
        var client = await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Authorization", "Bearer " + token);
        });
        return await ExtendedClient.FromConnectedAsync(client);
    }

    private static void AssertPermissions(JsonElement frame, string[] subscribe, string[] publish)
    {
        var permissions = frame.GetProperty("permissions");
        static string[] Read(JsonElement list) => [.. list.EnumerateArray().Select(p => p.GetString()!)];
        Assert.Equal(subscribe, Read(permissions.GetProperty("subscribe")));
        Assert.Equal(publish, Read(permissions.GetProperty("publish")));
    }

    /// <summary>A frame's <c>time</c>, checked to be in a publication timestamp's exact format.</summary>
    private static DateTimeOffset TimeOf(JsonElement frame)
    {
        var text = frame.GetProperty("time").GetString()!;
        Assert.Matches(WireFormat(), text);
        return DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")]
    private static partial Regex WireFormat();

    [Fact]
    public async Task The_welcome_of_an_anonymous_connection_says_it_may_use_events_only_has_no_user_and_gives_the_servers_time()
    {
        await using var server = await RunningServer.StartAsync(Settings());
        var before = DateTimeOffset.UtcNow;
        await using var client = await ExtendedClient.ConnectAsync(server);
        var after = DateTimeOffset.UtcNow;

        AssertPermissions(client.Welcome, ["events"], ["events"]);
        Assert.Equal(JsonValueKind.Null, client.Welcome.GetProperty("user").ValueKind);
        var time = TimeOf(client.Welcome);
        // The same clock as the test's: the welcome was written between the two readings.
        Assert.InRange(time, before.AddMilliseconds(-1), after.AddMilliseconds(1));

        // What it says is what the server does.
        await client.SubscribeAsync("events");
        await client.SendAsync(new { type = "subscribe", id = "s2", channel = "room" });
        Assert.Equal("forbidden", (await client.ReceiveAsync("error")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task With_a_token_the_welcome_names_the_user_and_adds_its_claims_to_the_anonymous_patterns_unless_tokens_are_required()
    {
        var token = TestTokens.Hs256(TestTokens.Claims("alice", subscribe: ["room:*"], publish: ["room:1"]));
        await using (var optional = await RunningServer.StartAsync(Settings()))
        {
            await using var client = await ConnectWithTokenAsync(optional, token);
            Assert.Equal("alice", client.Welcome.GetProperty("user").GetString());
            AssertPermissions(client.Welcome, ["room:*", "events"], ["room:1", "events"]);
        }

        await using var required = await RunningServer.StartAsync(Settings(required: true));
        await using var locked = await ConnectWithTokenAsync(required, token);
        AssertPermissions(locked.Welcome, ["room:*"], ["room:1"]);

        // Enforced as told: room:2 may be read but not published to, events not at all.
        await locked.SubscribeAsync("room:2");
        await locked.SendAsync(new { type = "publish", id = "m1", channel = "room:2", message = "no" });
        Assert.Equal("forbidden", (await locked.ReceiveAsync("error")).GetProperty("code").GetString());
        await locked.SendAsync(new { type = "subscribe", id = "s2", channel = "events" });
        Assert.Equal("forbidden", (await locked.ReceiveAsync("error")).GetProperty("code").GetString());
        await locked.PublishAsync("room:1", "yes", "m2");
    }

    [Fact]
    public async Task An_accepted_auth_answers_with_the_new_tokens_permissions()
    {
        await using var server = await RunningServer.StartAsync(Settings());
        await using var client = await ExtendedClient.ConnectAsync(server);
        var token = TestTokens.Hs256(TestTokens.Claims("bob", subscribe: ["news"], publish: []));

        await client.SendAsync(new { type = "auth", id = "a1", token });
        var authenticated = await client.ReceiveAsync("authenticated");

        Assert.Equal("bob", authenticated.GetProperty("user").GetString());
        AssertPermissions(authenticated, ["news", "events"], ["events"]);
        await client.SubscribeAsync("news");
    }

    [Fact]
    public async Task Every_ack_carries_the_servers_time_which_is_not_before_the_publications_timestamp()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await ExtendedClient.ConnectAsync(server);

        var acks = new List<JsonElement>();
        for (var i = 1; i <= 3; i++)
        {
            acks.Add(await client.PublishAsync("room", $"m{i}", $"id{i}"));
        }

        await client.SendAsync(new { type = "history", id = "h", channel = "room" });
        var publications = (await client.ReceiveAsync("history")).GetProperty("publications").EnumerateArray().ToList();
        Assert.Equal(3, publications.Count);
        for (var i = 0; i < 3; i++)
        {
            var stamped = DateTimeOffset.Parse(publications[i].GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
            Assert.True(TimeOf(acks[i]) >= stamped, $"ack {i} says {acks[i]} before its publication's timestamp {stamped:O}");
        }

        // A retry acknowledged as a duplicate is answered now, so it has a time too.
        await client.SendAsync(new { type = "publish", id = "id1", channel = "room", message = "m1" });
        var duplicate = await client.ReceiveAsync("ack");
        Assert.True(duplicate.GetProperty("duplicate").GetBoolean());
        Assert.True(TimeOf(duplicate) >= TimeOf(acks[2]));
    }
}
