using System.Globalization;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Http;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// What the in-memory engine keeps is bounded: channels with state, history bytes in total, idempotency
/// records; evictions go oldest first, are announced as any lost history is, and show in <c>/metrics</c>.
/// Memory is read from the GC heap of this process (server and clients), with generous bounds.
/// </summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class MemoryEngineBoundsTests
{
    private const long MiB = 1024 * 1024;

    private static object Position(string epoch, long offset) => new { epoch, offset };

    private static long HeapAfterCollect() => GC.GetTotalMemory(forceFullCollection: true);

    /// <summary>Scrapes until <paramref name="condition"/> holds: the exporter may serve a cached scrape for a moment.</summary>
    private static async Task<PrometheusScrape> ScrapeUntilAsync(RunningServer server, Func<PrometheusScrape, bool> condition, string what)
    {
        PrometheusScrape? last = null;
        await Eventually.TrueAsync(async () => condition(last = await PrometheusScrape.FetchAsync(server.Http)), TimeSpan.FromSeconds(20), what);
        return last!;
    }

    /// <summary>Sends <paramref name="count"/> requests built by <paramref name="request"/>, reading the replies in windows of 100.</summary>
    private static async Task PipelineAsync(ExtendedClient client, int count, Func<int, object> request, string replyType)
    {
        for (var start = 0; start < count; start += 100)
        {
            var end = Math.Min(count, start + 100);
            for (var i = start; i < end; i++)
            {
                await client.SendAsync(request(i));
            }

            for (var i = start; i < end; i++)
            {
                await client.ReceiveAsync(replyType);
            }
        }
    }

    /// <summary>A legacy watcher on <c>events</c> and a publisher feeding it while a flood runs: the watcher must get everything.</summary>
    private static async Task<T> WhileWatchedAsync<T>(RunningServer server, Func<Task<T>> flood)
    {
        var others = server.Registry.Count;
        await using var publisher = await server.ConnectAsync();
        var watcher = StreamWatcher.Start(await server.ConnectAsync());
        await server.WaitForConnectionCountAsync(others + 2);
        var flooding = flood();
        var sent = 0;
        while (!flooding.IsCompleted || sent < 100)
        {
            await publisher.SendMessageAsync($"watch:{sent++}:during the flood");
            await Task.Yield();
            if (sent % 50 == 0)
            {
                await Task.WhenAny(flooding, Task.Delay(10));
            }
        }

        var result = await flooding;
        await publisher.SendMessageAsync("done");
        await watcher.Done;
        Assert.Equal(sent, watcher.Received);
        await watcher.Client.DisposeAsync();
        return result;
    }

    /// <summary>
    /// Issue 11, attack #4: 30,000 history reads on distinct channels grew the server by about 8 KB each (a
    /// whole history ring per channel), kept until a sweep. Reads still give each channel a stable epoch, but
    /// its state is a few hundred bytes.
    /// </summary>
    [Fact]
    public async Task Thirty_thousand_history_reads_on_distinct_channels_leave_little_state_behind()
    {
        const int channels = 30_000;
        await using var server = await RunningServer.StartAsync();
        await using var reader = await ExtendedClient.ConnectAsync(server);
        var before = HeapAfterCollect();

        await WhileWatchedAsync(server, async () =>
        {
            await PipelineAsync(reader, channels, i => new { type = "history", id = $"h{i}", channel = $"room:{i}" }, "history");
            return 0;
        });

        var grown = HeapAfterCollect() - before;
        Assert.True(grown < 64 * MiB, $"the GC heap grew by {grown / MiB} MiB for {channels} read-only channels");
        var scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_memory_channels") >= channels, "the channel count to show");
        Assert.True(scrape.Sum("broadcast_server_memory_channels") <= channels + 10);
    }

    [Fact]
    public async Task Past_MaxChannels_idle_channels_are_forgotten_first_and_channels_in_use_keep_their_stream()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Memory:MaxChannels"] = "1000" });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        var watched = await subscriber.SubscribeAsync("watched");
        var idle = await publisher.PublishAsync("idle", "nobody listens", "idle-1");

        await using var reader = await ExtendedClient.ConnectAsync(server);
        await WhileWatchedAsync(server, async () =>
        {
            await PipelineAsync(reader, 5_000, i => new { type = "history", id = $"h{i}", channel = $"room:{i}" }, "history");
            return 0;
        });

        var scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_memory_channels_evicted_total") >= 4_000, "evictions to show");
        Assert.True(scrape.Sum("broadcast_server_memory_channels") <= 1000);

        // The subscribed channel kept its epoch and offsets: the next publication follows on.
        var ack = await publisher.PublishAsync("watched", "still here", "w-1");
        Assert.Equal(watched.GetProperty("epoch").GetString(), ack.GetProperty("epoch").GetString());
        Assert.Equal("still here", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());

        // The idle one, published to before the flood, was the first to go: a resume says so.
        var resume = await subscriber.SubscribeAsync("idle", since: Position(idle.GetProperty("epoch").GetString()!, 0), id: "resume");
        Assert.False(resume.GetProperty("recovered").GetBoolean());
    }

    /// <summary>Past MaxHistoryBytes the least recently published channels lose their history first, and a resume that needed it is told.</summary>
    [Fact]
    public async Task Past_MaxHistoryBytes_the_oldest_channels_history_goes_first_and_a_resume_is_told_it_is_not_recovered()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Memory:MaxHistoryBytes"] = (1 * MiB).ToString(CultureInfo.InvariantCulture) });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        var small = new string('o', 1_000);
        StreamPositionOf? seen = null;
        for (var i = 1; i <= 10; i++)
        {
            var ack = await publisher.PublishAsync("old", $"{i}:{small}", $"old-{i}");
            if (i == 5)
            {
                seen = new(ack.GetProperty("epoch").GetString()!, ack.GetProperty("offset").GetInt64());
            }
        }

        var large = new string('n', 50_000);
        for (var i = 0; i < 40; i++)
        {
            await publisher.PublishAsync($"new-{i}", large, $"new-{i}");
        }

        await using var returning = await ExtendedClient.ConnectAsync(server);
        var resume = await returning.SubscribeAsync("old", since: Position(seen!.Epoch, seen.Offset));
        Assert.False(resume.GetProperty("recovered").GetBoolean());
        await returning.SendAsync(new { type = "history", id = "h", channel = "old", since = 0 });
        Assert.True((await returning.ReceiveAsync("history")).GetProperty("truncated").GetBoolean());

        // The newest channel still has its history.
        await returning.SendAsync(new { type = "history", id = "n", channel = "new-39", since = 0 });
        var newest = await returning.ReceiveAsync("history");
        Assert.False(newest.GetProperty("truncated").GetBoolean());
        Assert.Equal(1, newest.GetProperty("publications").GetArrayLength());

        var scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_memory_history_evicted_bytes_total") > 0, "history evictions to show");
        Assert.True(scrape.Sum("broadcast_server_memory_history_size_bytes") <= 1 * MiB);
    }

    /// <summary>Issue 11: 6,200 x 60 KB on distinct channels held 364 MB for the history's lifetime. The total is bounded now.</summary>
    [Fact]
    public async Task History_on_many_channels_is_bounded_in_total()
    {
        const int channels = 2_000;
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Memory:MaxHistoryBytes"] = (16 * MiB).ToString(CultureInfo.InvariantCulture) });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        var before = HeapAfterCollect();
        var payload = new string('x', 60_000);

        await WhileWatchedAsync(server, async () =>
        {
            await PipelineAsync(publisher, channels, i => new { type = "publish", id = $"p{i}", channel = $"big:{i}", message = payload }, "ack");
            return 0;
        });

        var grown = HeapAfterCollect() - before;
        Assert.True(grown < 48 * MiB, $"the GC heap grew by {grown / MiB} MiB for {channels} x 60 KB of history against a 16 MiB bound");
        var scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_memory_history_size_bytes") > 0, "the history size to show");
        Assert.True(scrape.Sum("broadcast_server_memory_history_size_bytes") <= 16 * MiB);
    }

    [Fact]
    public async Task Past_MaxIdempotencyRecords_the_oldest_message_ids_are_forgotten_first()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Memory:MaxIdempotencyRecords"] = "100" });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        for (var i = 0; i < 500; i++)
        {
            await publisher.PublishAsync($"ids:{i % 7}", $"m{i}", $"id-{i}");
        }

        // The newest ids still protect against a retry; the oldest were forgotten to make room.
        Assert.True((await publisher.PublishAsync("ids:6", "m496", "id-496")).GetProperty("duplicate").GetBoolean());
        Assert.False((await publisher.PublishAsync("ids:0", "m0", "id-0")).GetProperty("duplicate").GetBoolean());

        var scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_memory_idempotency_evicted_total") >= 400, "idempotency evictions to show");
        Assert.True(scrape.Sum("broadcast_server_memory_idempotency_records") <= 100);
    }

    private sealed record StreamPositionOf(string Epoch, long Offset);
}
