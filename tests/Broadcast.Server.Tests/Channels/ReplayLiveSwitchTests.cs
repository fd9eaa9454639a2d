using System.Text;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Channels;

/// <summary>
/// The switch from replay to live, made to race on purpose: an engine that lets publications land
/// both just before and just after the history read of a resume. With a real Redis engine this
/// window is wide; here it is forced, so the test shows the hold-and-deduplicate logic itself.
/// </summary>
public sealed class ReplayLiveSwitchTests
{
    [Fact]
    public async Task Publications_landing_around_the_history_read_are_delivered_once_each_in_order()
    {
        await using var server = await RunningServer.StartAsync(configure: builder =>
            builder.Services.AddSingleton<IStreamEngine>(services => new RacingEngine(services.GetRequiredService<MemoryEngine>())));
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        string epoch = "";
        for (var i = 1; i <= 3; i++)
        {
            epoch = (await publisher.PublishAsync("race", $"m{i}", $"{i}")).GetProperty("epoch").GetString()!;
        }

        // Resuming from offset 1: 2-3 are in history; the racing engine publishes 4 (also read with
        // the history, and held live) and 5 (only held live) while the subscription is being set up.
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        var reply = await subscriber.SubscribeAsync("race", since: new { epoch, offset = 1 });
        Assert.True(reply.GetProperty("recovered").GetBoolean());
        Assert.Equal(4, reply.GetProperty("offset").GetInt64());
        Assert.Equal(3, reply.GetProperty("missed").GetInt32());

        await publisher.PublishAsync("race", "m6", "6");
        var offsets = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            offsets.Add((await subscriber.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
        }

        Assert.Equal([2L, 3L, 4L, 5L, 6L], offsets);
    }

    /// <summary>Wraps the memory engine; on a resume's history read, publishes before and after reading.</summary>
    private sealed class RacingEngine(MemoryEngine inner) : Engines.DelegatingEngine(inner)
    {
        public override async ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken)
        {
            if (limit == 0 || sinceOffset == 0)
            {
                return await Inner.ReadHistoryAsync(channel, sinceOffset, limit, cancellationToken);
            }

            await Inner.PublishAsync(channel, "racer-session", null, Encoding.UTF8.GetBytes("raced before the read"), cancellationToken);
            var history = await Inner.ReadHistoryAsync(channel, sinceOffset, limit, cancellationToken);
            await Inner.PublishAsync(channel, "racer-session", null, Encoding.UTF8.GetBytes("raced after the read"), cancellationToken);
            return history;
        }
    }
}
