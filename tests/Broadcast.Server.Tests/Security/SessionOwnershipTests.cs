using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// A session can be resumed only with its token, which only its client ever sees, and only by the user it
/// belongs to; what others see (presence, a publication's origin) is a public id that resumes nothing.
/// On Redis the two "nodes" are two servers sharing one key space, so every resume crosses nodes.
/// </summary>
public abstract class SessionOwnershipTests(EngineUnderTest engine)
{
    private static readonly Dictionary<string, string?> AuthSettings = new() { ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret };

    /// <summary>Two nodes of one deployment: two servers on Redis, the same one twice in memory.</summary>
    private async Task<(RunningServer A, RunningServer B, IAsyncDisposable Owner)> StartNodesAsync()
    {
        if (engine is RedisEngineUnderTest)
        {
            var keySpace = "s" + Guid.NewGuid().ToString("N")[..12];
            var a = await engine.StartAsync(AuthSettings, keySpace);
            var b = await engine.StartAsync(AuthSettings, keySpace);
            return (a, b, new Both(a, b));
        }

        var only = await engine.StartAsync(AuthSettings);
        return (only, only, only);
    }

    private static Task<TestClient> ConnectAsync(RunningServer node, string? user) =>
        TestClient.ConnectAsync(node.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            if (user is not null)
            {
                options.SetRequestHeader("Authorization", "Bearer " + TestTokens.Hs256(TestTokens.Claims(user)));
            }
        });

    private static async Task<JsonElement> HelloAsync(TestClient client, string? session)
    {
        await client.SendTextAsync(JsonSerializer.Serialize(new { type = "hello", session }));
        return await client.ReceiveJsonAsync();
    }

    private static void AssertRefused(JsonElement reply)
    {
        Assert.True(reply.GetProperty("type").GetString() == "error", $"expected the hello to be refused, got {reply}");
        Assert.Equal("session_forbidden", reply.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_session_resumed_with_another_users_token_is_refused_and_its_owner_keeps_it()
    {
        var (nodeA, nodeB, nodes) = await StartNodesAsync();
        await using var _ = nodes;
        await using var alice = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeA, "alice"));
        Assert.NotEqual(alice.Session, alice.PublicId);
        Assert.False(alice.Welcome.GetProperty("resumed").GetBoolean());

        // Bob has alice's token (it leaked), and her public id (everyone sees it): neither resumes her session.
        await using var bobSocket = await ConnectAsync(nodeB, "bob");
        AssertRefused(await HelloAsync(bobSocket, alice.Session));
        AssertRefused(await HelloAsync(bobSocket, alice.PublicId));
        // Nor does it without any token.
        await using (var anonymous = await ConnectAsync(nodeB, user: null))
        {
            AssertRefused(await HelloAsync(anonymous, alice.Session));
        }

        // A refused hello leaves the connection open for one that starts a session of its own.
        await using var bob = await ExtendedClient.FromConnectedAsync(bobSocket);
        Assert.NotEqual(alice.PublicId, bob.PublicId);
        await bob.SubscribeAsync("room");

        // Bob's publishes are his, so they reach alice, and alice's message id is still hers: her publish
        // with the id bob used is published (not acknowledged as a duplicate of bob's) and reaches bob.
        await alice.SubscribeAsync("room");
        await bob.PublishAsync("room", "from bob", "m1");
        var fromBob = await alice.ReceiveAsync("pub");
        Assert.Equal(bob.PublicId, fromBob.GetProperty("origin").GetString());
        var ack = await alice.PublishAsync("room", "from alice", "m1");
        Assert.False(ack.GetProperty("duplicate").GetBoolean());
        var fromAlice = await bob.ReceiveAsync("pub");
        Assert.Equal("from alice", fromAlice.GetProperty("message").GetString());
        Assert.Equal(alice.PublicId, fromAlice.GetProperty("origin").GetString());

        // Alice herself resumes on the other node: same public id, and her retry is recognised there.
        await using var again = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeB, "alice"), alice.Session);
        Assert.True(again.Welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(alice.PublicId, again.PublicId);
        Assert.Equal(alice.Session, again.Session);
        var retry = await again.PublishAsync("room", "from alice", "m1");
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
        Assert.Equal(ack.GetProperty("offset").GetInt64(), retry.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task An_anonymous_session_resumes_with_its_token_but_never_with_the_public_id_others_see()
    {
        var (nodeA, nodeB, nodes) = await StartNodesAsync();
        await using var _ = nodes;
        await using var owner = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeA, user: null));
        await owner.SubscribeAsync("room");
        await owner.SendAsync(new { type = "presence", id = "p", channel = "room" });
        var member = Assert.Single((await owner.ReceiveAsync("presence")).GetProperty("members").EnumerateArray());
        Assert.Equal(owner.PublicId, member.GetProperty("session").GetString());
        Assert.NotEqual(owner.Session, owner.PublicId);

        await using var intruder = await ConnectAsync(nodeB, user: null);
        AssertRefused(await HelloAsync(intruder, owner.PublicId));

        // The token holder resumes, on the other node too: its own publication is not replayed to it, and its
        // retry of that publication is recognised.
        var own = await owner.PublishAsync("room", "mine", "own-1");
        await using var resumed = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeB, user: null), owner.Session);
        Assert.True(resumed.Welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(owner.PublicId, resumed.PublicId);
        var subscribed = await resumed.SubscribeAsync("room", since: new { epoch = own.GetProperty("epoch").GetString(), offset = 0 });
        Assert.True(subscribed.GetProperty("recovered").GetBoolean());
        Assert.Equal(0, subscribed.GetProperty("missed").GetInt32());
        Assert.True((await resumed.PublishAsync("room", "mine", "own-1")).GetProperty("duplicate").GetBoolean());
        await using var other = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeA, user: null));
        await other.PublishAsync("room", "from someone else", "x");
        Assert.Equal("from someone else", (await resumed.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_session_started_without_a_token_is_taken_by_the_first_user_who_resumes_it_and_then_is_theirs()
    {
        var (nodeA, nodeB, nodes) = await StartNodesAsync();
        await using var _ = nodes;
        string token;
        await using (var anonymous = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeA, user: null)))
        {
            token = anonymous.Session;
        }

        // The holder of the token signs in: the session is now carol's.
        await using (var carol = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeB, "carol"), token))
        {
            Assert.True(carol.Welcome.GetProperty("resumed").GetBoolean());
        }

        await using var withoutToken = await ConnectAsync(nodeA, user: null);
        AssertRefused(await HelloAsync(withoutToken, token));
        await using var dave = await ConnectAsync(nodeB, "dave");
        AssertRefused(await HelloAsync(dave, token));
        await using var carolAgain = await ExtendedClient.FromConnectedAsync(await ConnectAsync(nodeA, "carol"), token);
        Assert.True(carolAgain.Welcome.GetProperty("resumed").GetBoolean());
    }

    private sealed class Both(RunningServer a, RunningServer b) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }
}

public sealed class SessionOwnershipTestsOnMemory(MemoryEngineUnderTest engine) : SessionOwnershipTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class SessionOwnershipTestsOnRedis(RedisEngineUnderTest engine) : SessionOwnershipTests(engine), IClassFixture<RedisEngineUnderTest>;
