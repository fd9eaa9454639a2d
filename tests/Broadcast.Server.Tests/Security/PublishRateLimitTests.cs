using System.Net.WebSockets;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>One connection cannot flood a channel: over its budget it gets errors, then it is closed.</summary>
public sealed class PublishRateLimitTests
{
    private static Dictionary<string, string?> Limit(double ratePerSecond, int burst, int strikes) => new()
    {
        ["Broadcast:Limits:PublishRatePerSecond"] = ratePerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broadcast:Limits:PublishBurst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broadcast:Limits:RateLimitStrikes"] = strikes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Past_its_burst_a_flooding_legacy_client_gets_rate_limited_errors_then_1008_and_others_are_unaffected()
    {
        // A budget of 5 at once and then one every 100 s (so a slow machine cannot earn a 6th meanwhile): the
        // 6th publish and on are over it.
        await using var server = await RunningServer.StartAsync(Limit(ratePerSecond: 0.01, burst: 5, strikes: 10));
        await using var flooder = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await using var quiet = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        // Exactly the budget plus the strikes: the server closes after the last one, and a send after its
        // close would fail on the client's side, not the server's.
        for (var i = 0; i < 5 + 10; i++)
        {
            await flooder.SendMessageAsync($"flood {i}");
        }

        // The watcher saw only the budget's worth, in order.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"flood {i}", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
        }

        var (close, before) = await flooder.ReceiveUntilCloseAsync();
        var codes = before.Select(f => f.Json).Where(j => j.TryGetProperty("code", out _)).Select(j => j.GetProperty("code").GetString()).ToList();
        Assert.Equal(10, codes.Count);
        Assert.All(codes, code => Assert.Equal("rate_limited", code));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("publish rate limit exceeded", close.CloseDescription);

        await quiet.SendMessageAsync("business as usual");
        Assert.Equal("business as usual", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_extended_client_over_its_budget_gets_an_error_for_that_publish_and_nothing_is_published()
    {
        await using var server = await RunningServer.StartAsync(Limit(ratePerSecond: 1, burst: 2, strikes: 50));
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");

        await publisher.PublishAsync("room", "one", "1");
        await publisher.PublishAsync("room", "two", "2");
        await publisher.SendAsync(new { type = "publish", id = "3", channel = "room", message = "three" });
        var error = await publisher.ReceiveAsync("error");
        Assert.Equal("rate_limited", error.GetProperty("code").GetString());
        Assert.Equal("3", error.GetProperty("id").GetString());

        Assert.Equal("one", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
        Assert.Equal("two", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
        await subscriber.SendAsync(new { type = "history", id = "h", channel = "room" });
        Assert.Equal(2, (await subscriber.ReceiveAsync("history")).GetProperty("publications").GetArrayLength());
    }
}
