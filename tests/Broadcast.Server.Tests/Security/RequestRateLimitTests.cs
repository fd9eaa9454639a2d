using System.Net.WebSockets;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>Every kind of request has a budget, not only publish: past it, <c>rate_limited</c>, then 1008.</summary>
public sealed class RequestRateLimitTests
{
    /// <summary>A burst of 5, then one request every 100 s: the 6th and later requests are over it.</summary>
    private static readonly Dictionary<string, string?> TightBudget = new()
    {
        ["Broadcast:Limits:RequestRatePerSecond"] = "0.01",
        ["Broadcast:Limits:RequestBurst"] = "5",
        ["Broadcast:Limits:RateLimitStrikes"] = "10",
    };

    [Theory]
    [InlineData("hello")]
    [InlineData("auth")]
    [InlineData("subscribe")]
    [InlineData("unsubscribe")]
    [InlineData("history")]
    [InlineData("presence")]
    [InlineData("nonsense")]
    public async Task A_client_requesting_past_its_budget_gets_rate_limited_then_1008_and_others_are_unaffected(string type)
    {
        await using var server = await RunningServer.StartAsync(TightBudget);
        await using var flooder = await ExtendedClient.ConnectAsync(server);
        await using var watcher = await ExtendedClient.ConnectAsync(server);
        await watcher.SubscribeAsync("room");

        // The hello already spent one of the five: four more, then ten refusals, after which the server closes
        // (a send after that close would fail on the client's side, not the server's).
        for (var i = 0; i < 4 + 10; i++)
        {
            await flooder.SendAsync(new { type, id = $"r{i}", channel = "room", token = "not-a-token" });
        }

        var (close, before) = await flooder.Client.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("request rate limit exceeded", close.CloseDescription);
        var answers = before.Select(f => f.Json).ToList();
        Assert.Equal(14, answers.Count);
        Assert.All(answers.Take(4), a => Assert.False(a.TryGetProperty("code", out var code) && code.GetString() == "rate_limited"));
        Assert.All(answers.Skip(4), a =>
        {
            Assert.Equal("rate_limited", a.GetProperty("code").GetString());
            Assert.StartsWith("r", a.GetProperty("id").GetString(), StringComparison.Ordinal);
        });

        // Only the flooder paid: the watcher's own requests and deliveries go on.
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await publisher.PublishAsync("room", "business as usual", "1");
        Assert.Equal("business as usual", (await watcher.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    /// <summary>
    /// Issue 11: a subscribe/unsubscribe loop (20,000 cycles in 0.7 s) sent 40,000 join and leave events to
    /// every presence watcher of the channel. Under the shipped defaults the loop is refused, then closed, and
    /// a watcher sees a few hundred such events while receiving every publication in order.
    /// </summary>
    [Fact]
    public async Task A_subscribe_unsubscribe_loop_is_cut_off_before_it_floods_presence_watchers()
    {
        const int cycles = 20_000;
        const int publications = 200;
        await using var server = await RunningServer.StartAsync(RunningServer.ShippedBudgets);
        await using var watcher = await ExtendedClient.ConnectAsync(server, name: "watcher");
        await watcher.SubscribeAsync("lobby", presence: true);
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var flooder = await ExtendedClient.ConnectAsync(server, name: "flooder");

        var flooding = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < cycles; i++)
                {
                    await flooder.SendAsync(new { type = "subscribe", id = $"s{i}", channel = "lobby", presence = true });
                    await flooder.SendAsync(new { type = "unsubscribe", id = $"u{i}", channel = "lobby" });
                }
            }
            catch (WebSocketException)
            {
                // Closed by the server: expected.
            }
        });
        for (var i = 0; i < publications; i++)
        {
            await publisher.PublishAsync("lobby", $"m{i}", $"m{i}");
        }

        await flooding;
        var (close, before) = await flooder.Client.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("request rate limit exceeded", close.CloseDescription);
        Assert.Contains(before, f => f.Json.TryGetProperty("code", out var code) && code.GetString() == "rate_limited");

        await publisher.PublishAsync("lobby", "done", "done");
        var received = new List<string>();
        var presenceEvents = 0;
        while (true)
        {
            var frame = await watcher.Client.ReceiveJsonAsync();
            var frameType = frame.GetProperty("type").GetString();
            if (frameType is "join" or "leave")
            {
                presenceEvents++;
                continue;
            }

            Assert.Equal("pub", frameType);
            var message = frame.GetProperty("message").GetString()!;
            if (message == "done")
            {
                break;
            }

            received.Add(message);
        }

        Assert.Equal(Enumerable.Range(0, publications).Select(i => $"m{i}"), received);
        Assert.True(presenceEvents < 1_000, $"the watcher got {presenceEvents} presence events");
    }
}
