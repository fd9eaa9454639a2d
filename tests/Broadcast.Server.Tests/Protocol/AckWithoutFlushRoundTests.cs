using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Transport;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Protocol;

/// <summary>
/// The answer to a v2 request the client waits for (welcome, ack, error, reply) is written as soon as it is
/// ready, not held for the next flush round, whose wait exists to batch fan-out: a client that waits for each
/// ack would otherwise pay a round's timer per publish. Here every round after the first waits an hour, so an
/// answer that waited for one would never arrive.
/// </summary>
public sealed class AckWithoutFlushRoundTests
{
    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task Answers_to_requests_are_written_without_waiting_for_a_flush_round(string stack)
    {
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Broadcast:WebSocketStack"] = stack,
                // The closes at the end wait for the hour-long rounds too: let the shutdown give up on them soon.
                ["Broadcast:ShutdownTimeout"] = "00:00:01",
                ["Broadcast:CloseTimeout"] = "00:00:00.500",
            },
            builder => builder.Services.AddSingleton(new FlushScheduler(TimeSpan.FromHours(1), shards: 1)));
        await using var client = await ExtendedClient.ConnectAsync(server);

        for (var i = 0; i < 3; i++)
        {
            await client.PublishAsync("room", $"m{i}", id: $"p{i}");
        }

        await client.SendAsync(new { type = "publish", id = "bad", channel = "room" });
        var error = await client.ReceiveAsync("error");
        Assert.Equal(("bad", "message_missing"), (error.GetProperty("id").GetString(), error.GetProperty("code").GetString()));

        await client.SendAsync(new { type = "history", id = "h", channel = "room" });
        Assert.Equal(3, (await client.ReceiveAsync("history")).GetProperty("publications").GetArrayLength());
    }
}
