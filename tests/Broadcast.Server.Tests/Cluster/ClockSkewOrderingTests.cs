using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// Clocks disagree (between nodes, or one steps back under NTP): order comes from offsets, never from
/// timestamps, so every subscriber still gets every publication once, in publish order.
/// </summary>
public sealed class ClockSkewOrderingTests(RedisEngineUnderTest redis) : IClassFixture<RedisEngineUnderTest>
{
    private const int Publications = 40;

    /// <summary>The system clock, shifted by an offset that can change while the server runs.</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        private long _offsetTicks = offset.Ticks;

        public TimeSpan Offset
        {
            get => TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));
            set => Volatile.Write(ref _offsetTicks, value.Ticks);
        }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }

    private static Task<RunningServer> StartAsync(IReadOnlyDictionary<string, string?> settings, ShiftedClock clock) =>
        RunningServer.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(clock));

    private static DateTimeOffset TimestampOf(JsonElement pub) => pub.GetProperty("timestamp").GetDateTimeOffset();

    private static async Task<List<JsonElement>> ReceivePublicationsAsync(ExtendedClient subscriber, int count)
    {
        var received = new List<JsonElement>();
        for (var i = 0; i < count; i++)
        {
            received.Add(await subscriber.ReceiveAsync("pub"));
        }

        return received;
    }

    private static void AssertInPublishOrder(IReadOnlyList<JsonElement> publications, int count)
    {
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), publications.Select(p => p.GetProperty("offset").GetInt64()));
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"m{i}"), publications.Select(p => p.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Nodes_whose_clocks_are_minutes_apart_deliver_and_replay_in_offset_order()
    {
        // Three minutes apart in all, within the default five minutes of history.
        var keySpace = "skew" + Guid.NewGuid().ToString("N")[..8];
        await using var ahead = await StartAsync(redis.Settings(keySpace), new ShiftedClock(TimeSpan.FromSeconds(90)));
        await using var behind = await StartAsync(redis.Settings(keySpace), new ShiftedClock(TimeSpan.FromSeconds(-90)));
        await using var publisherAhead = await ExtendedClient.ConnectAsync(ahead);
        await using var publisherBehind = await ExtendedClient.ConnectAsync(behind);
        await using var subscriberAhead = await ExtendedClient.ConnectAsync(ahead);
        await using var subscriberBehind = await ExtendedClient.ConnectAsync(behind);
        var epoch = (await subscriberAhead.SubscribeAsync("skewed")).GetProperty("epoch").GetString()!;
        await subscriberBehind.SubscribeAsync("skewed");

        // Publishers take turns, each waiting for its ack: the publish order is m1, m2, ... across nodes.
        for (var i = 1; i <= Publications; i++)
        {
            var publisher = i % 2 == 1 ? publisherAhead : publisherBehind;
            var ack = await publisher.PublishAsync("skewed", $"m{i}", $"id{i}");
            Assert.Equal(i, ack.GetProperty("offset").GetInt64());
        }

        foreach (var subscriber in new[] { subscriberAhead, subscriberBehind })
        {
            var received = await ReceivePublicationsAsync(subscriber, Publications);
            AssertInPublishOrder(received, Publications);
            // The skew was real: by their timestamps, every publication from the node behind came first.
            Assert.Contains(received.Zip(received.Skip(1)), pair => TimestampOf(pair.Second) < TimestampOf(pair.First));
        }

        // A client resuming on either node gets exactly what it missed, in offset order.
        foreach (var node in new[] { ahead, behind })
        {
            await using var resumer = await ExtendedClient.ConnectAsync(node);
            var reply = await resumer.SubscribeAsync("skewed", since: new { epoch, offset = 10 });
            Assert.True(reply.GetProperty("recovered").GetBoolean(), reply.ToString());
            var replayed = await ReceivePublicationsAsync(resumer, Publications - 10);
            Assert.Equal(Enumerable.Range(11, Publications - 10).Select(i => (long)i), replayed.Select(p => p.GetProperty("offset").GetInt64()));
        }
    }

    [Fact]
    public async Task A_clock_stepping_back_an_hour_mid_stream_neither_reorders_nor_loses_publications()
    {
        var clock = new ShiftedClock(TimeSpan.Zero);
        await using var server = await StartAsync(new Dictionary<string, string?>(), clock);
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        var epoch = (await subscriber.SubscribeAsync("stepped")).GetProperty("epoch").GetString()!;

        for (var i = 1; i <= Publications; i++)
        {
            if (i == Publications / 2)
            {
                clock.Offset = TimeSpan.FromHours(-1);
            }

            await publisher.PublishAsync("stepped", $"m{i}", $"id{i}");
        }

        var received = await ReceivePublicationsAsync(subscriber, Publications);
        AssertInPublishOrder(received, Publications);
        Assert.True(TimestampOf(received[^1]) < TimestampOf(received[0]), "the clock did not step back");

        await using var resumer = await ExtendedClient.ConnectAsync(server);
        var reply = await resumer.SubscribeAsync("stepped", since: new { epoch, offset = 0 });
        Assert.True(reply.GetProperty("recovered").GetBoolean(), reply.ToString());
        AssertInPublishOrder(await ReceivePublicationsAsync(resumer, Publications), Publications);
    }
}
