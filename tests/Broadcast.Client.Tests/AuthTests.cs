using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>Tokens against the real server: connecting with one, refreshing it, presence users, subscriptions the server ends.</summary>
public sealed class AuthTests
{
    private const string Secret = "a-client-test-secret-of-more-than-32-bytes-42";

    /// <summary>Only tokens open channels here: anonymous clients may do nothing.</summary>
    private static Task<RunningServer> StartAsync() => RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["Broadcast:Auth:HmacSecret"] = Secret,
        ["Broadcast:Auth:AnonymousSubscribe"] = "",
        ["Broadcast:Auth:AnonymousPublish"] = "",
        ["Broadcast:Auth:ClockSkew"] = "00:00:00",
        ["Broadcast:Auth:ExpiryGrace"] = "00:00:00",
    });

    private static string Token(string sub, string[] subscribe, string[] publish, TimeSpan? lifetime = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = sub,
            ["exp"] = DateTimeOffset.UtcNow.Add(lifetime ?? TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
            ["subscribe"] = subscribe,
            ["publish"] = publish,
        };
        var signed = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" })) + "." +
            Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return signed + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(signed)));
    }

    private static async Task<BroadcastClient> ConnectAsync(Endpoint endpoint, string name, string token)
    {
        var options = TestClients.Options(endpoint, name);
        var client = new BroadcastClient(new BroadcastClientOptions
        {
            UriProvider = options.UriProvider,
            Name = name,
            AccessToken = token,
            ReconnectBaseDelay = options.ReconnectBaseDelay,
            ReconnectMaxDelay = options.ReconnectMaxDelay,
            AckTimeout = options.AckTimeout,
            Random = options.Random,
        });
        using var timeout = new CancellationTokenSource(TestClients.Timeout);
        await client.ConnectAsync(timeout.Token);
        return client;
    }

    [Fact]
    public async Task A_refresh_that_drops_a_channel_ends_its_subscription_with_an_event_and_presence_shows_users()
    {
        await using var server = await StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var bo = await ConnectAsync(endpoint, "bo", Token("bob", ["*"], ["*"]));
        var boRoomA = await bo.SubscribeAsync("room:a", presence: true);
        var joined = new TaskCompletionSource<PresenceChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        boRoomA.PresenceChanged += (_, change) => joined.TrySetResult(change);

        await using var ana = await ConnectAsync(endpoint, "ana", Token("alice", ["room:a", "room:b"], []));
        var roomA = await ana.SubscribeAsync("room:a");
        var roomB = await ana.SubscribeAsync("room:b");
        var ended = new TaskCompletionSource<SubscriptionEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        ana.SubscriptionEnded += (_, end) => ended.TrySetResult(end);

        // Presence shows the token's user, in the list and in join events.
        Assert.Equal("alice", (await joined.Task.Within()).Member.User);
        var presence = await bo.PresenceAsync("room:a");
        Assert.Equal([("ana", "alice"), ("bo", "bob")], presence.Members.Select(m => (m.Name, m.User)).Order());

        var later = DateTimeOffset.UtcNow.AddHours(2);
        var result = await ana.AuthenticateAsync(Token("alice", ["room:a"], [], TimeSpan.FromHours(2)));
        Assert.Equal("alice", result.User);
        Assert.InRange(result.Expires, later.AddMinutes(-1), later.AddMinutes(1));

        // The notice came before the reply, so the subscription is already gone.
        Assert.True(ended.Task.IsCompleted);
        var end = await ended.Task;
        Assert.Equal(("room:b", ErrorCodes.Forbidden), (end.Channel, end.Code));
        var completion = await Assert.ThrowsAsync<BroadcastException>(() => roomB.ReadAllAsync().ToListAsync().AsTask());
        Assert.Equal(ErrorCodes.Forbidden, completion.Code);

        await bo.PublishAsync("room:b", "must not arrive");
        await bo.PublishAsync("room:a", "allowed");
        Assert.Equal("allowed", (await roomA.NextAsync()).Message);

        // A token for someone else is refused and changes nothing.
        var mismatch = await Assert.ThrowsAsync<BroadcastException>(() => ana.AuthenticateAsync(Token("mallory", ["*"], ["*"])));
        Assert.Equal(ErrorCodes.UserMismatch, mismatch.Code);
        var invalid = await Assert.ThrowsAsync<BroadcastException>(() => ana.AuthenticateAsync("not-a-token"));
        Assert.Equal(ErrorCodes.TokenInvalid, invalid.Code);
    }

    [Fact]
    public async Task After_a_refresh_reconnects_present_the_fresh_token()
    {
        await using var server = await StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var bo = await ConnectAsync(endpoint, "bo", Token("bob", ["*"], ["*"]));
        await using var ana = await ConnectAsync(endpoint, "ana", Token("alice", ["room"], [], TimeSpan.FromSeconds(2)));
        var room = await ana.SubscribeAsync("room");
        await ana.AuthenticateAsync(Token("alice", ["room"], [], TimeSpan.FromHours(1)));

        // Once the first token has expired, a reconnect with it would get 401: the client must use the fresh one.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var attempts = endpoint.Attempts;
        Assert.True(ana.AbortConnection());
        await Eventually.TrueAsync(() => endpoint.Attempts > attempts && ana.State == ConnectionState.Connected, TestClients.Timeout, "ana to reconnect");
        await bo.PublishAsync("room", "after the reconnect");
        Assert.Equal("after the reconnect", (await room.NextAsync()).Message);
    }
}
