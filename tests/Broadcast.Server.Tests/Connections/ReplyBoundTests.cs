using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// Every byte the server will send one client is bounded, replies included (issue #11): a client that asks
/// for large or many answers and never reads them is cut off with 1008 once its queue is full, the server's
/// memory stays flat, and a watcher keeps receiving every message meanwhile. The server runs in its own
/// process with its shipped defaults, so what it reports about its memory is its own.
/// </summary>
public sealed class ReplyBoundTests
{
    private const double MiB = 1024 * 1024;

    /// <summary>Waits until the server cut a client off, or answered everything it was sent (a trailing bad frame was rejected).</summary>
    private static Task UntilCutOffOrAnsweredAsync(AttackedServer server, double rejected, string what) =>
        Eventually.TrueAsync(
            async () =>
            {
                var scrape = await server.ScrapeAsync();
                return scrape.Sum("broadcast_server_slow_consumer_disconnects_total") >= 1
                    || scrape.Sum("broadcast_server_messages_rejected_total", ("error_type", "invalid_json")) >= rejected;
            },
            TimeSpan.FromSeconds(120),
            what);

    private static async Task AssertCutOffAsSlowConsumerAsync(RawWebSocket client)
    {
        // Reading at last, it finds what fit in its socket buffers, then the close.
        var close = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(close);
        Assert.Equal(1008, close.CloseCode);
        Assert.Contains("slow consumer", close.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_asks_for_history_and_never_reads_is_cut_off_without_growing_the_server()
    {
        await using var server = await AttackedServer.StartAsync();

        // The attack of issue #11: the default channel's whole history (1,000 publications) of 16 KB each.
        await using (var filler = await ExtendedClient.ConnectAsync(server.WebSocketUri))
        {
            var message = new string('h', 16 * 1024);
            for (var i = 1; i < 1000; i++)
            {
                await filler.SendAsync(new { type = "publish", channel = "events", message });
            }

            // Requests are handled in order: this ack means all of them were published.
            await filler.PublishAsync("events", message, "last");
        }

        var before = await server.WorkingSetAsync();
        await using var watcher = await LockstepWatcher.StartAsync(server.WebSocketUri);
        await using var attacker = await server.ConnectSilentAsync(extended: true);
        await attacker.SendTextAsync("""{"type":"hello"}""");
        await attacker.SendTextFramesAsync(40, """{"type":"history","channel":"events","limit":1000}""");
        await attacker.SendTextAsync("{");
        await UntilCutOffOrAnsweredAsync(server, 1, "the attacker to be cut off or answered");

        // Before: 40 replies of 16 MB each were held for it (RSS 165 -> 922 MB). Now at most its queue's bound.
        var grown = (await server.WorkingSetAsync() - before) / MiB;
        Assert.True(grown < 300, $"the server grew by {grown:F0} MiB for a client that never read its history replies");
        Assert.Equal(1, await server.SlowConsumersAsync());
        Assert.True(await watcher.StopAsync() > 0, "the watcher received nothing");
        await AssertCutOffAsSlowConsumerAsync(attacker);
    }

    [Fact]
    public async Task A_client_that_never_reads_its_error_replies_is_cut_off_without_growing_the_server()
    {
        await using var server = await AttackedServer.StartAsync();
        var before = await server.WorkingSetAsync();
        await using var watcher = await LockstepWatcher.StartAsync(server.WebSocketUri);

        // An original-protocol client (on `events`, where nothing else is published) sends a million tiny bad
        // frames and reads none of the error replies.
        await using var flooder = await server.ConnectSilentAsync(extended: false);
        const int Batch = 50_000;
        var sent = 0;
        while (sent < 1_000_000 && await server.SlowConsumersAsync() == 0)
        {
            try
            {
                await flooder.SendTextFramesAsync(Batch, "{");
            }
            catch (IOException)
            {
                // The server gave up on it and aborted the connection.
                break;
            }

            sent += Batch;
        }

        await UntilCutOffOrAnsweredAsync(server, sent, "the flooder to be cut off or answered");
        var grown = (await server.WorkingSetAsync() - before) / MiB;
        Assert.True(grown < 200, $"the server grew by {grown:F0} MiB for a client that never read its error replies");
        Assert.True(await server.SlowConsumersAsync() == 1, $"{sent} unread error replies did not get the flooder cut off");
        Assert.True(await watcher.StopAsync() > 0, "the watcher received nothing");
        await AssertCutOffAsSlowConsumerAsync(flooder);
    }

    [Fact]
    public async Task A_presence_subscriber_that_stops_reading_is_cut_off_while_others_come_and_go()
    {
        await using var server = await AttackedServer.StartAsync();
        var before = await server.WorkingSetAsync();
        await using var watcher = await LockstepWatcher.StartAsync(server.WebSocketUri);

        await using var stalled = await server.ConnectSilentAsync(extended: true);
        await stalled.SendTextAsync("""{"type":"hello"}""");
        await stalled.SendTextAsync("""{"type":"subscribe","id":"s","channel":"lobby","presence":true}""");

        // Someone else subscribes and unsubscribes again and again: a join and a leave for the stalled
        // subscriber each time. The churner reads its own replies, a burst at a time.
        await using var churner = await server.ConnectSilentAsync(extended: true);
        await churner.SendTextAsync(JsonSerializer.Serialize(new { type = "hello", name = new string('n', 64) }));
        Assert.Contains("welcome", (await churner.ReceiveFrameAsync())!.Text, StringComparison.Ordinal);
        const int Burst = 500;
        var cycles = 0;
        while (cycles < 200_000 && await server.SlowConsumersAsync() == 0)
        {
            await churner.SendTextFramesAsync(
                Burst,
                """{"type":"subscribe","id":"c","channel":"lobby"}""",
                """{"type":"unsubscribe","id":"c","channel":"lobby"}""");
            for (var replies = 0; replies < 2 * Burst;)
            {
                var frame = (await churner.ReceiveFrameAsync(TimeSpan.FromSeconds(60)))!;
                if (frame.Opcode == RawWebSocket.Ping)
                {
                    // A keep-alive ping (the run can outlast its interval under load): not a reply.
                    continue;
                }

                Assert.True(frame.Text.Contains("subscribed", StringComparison.Ordinal), $"the churner got {frame.Text}");
                replies++;
            }

            cycles += Burst;
        }

        var grown = (await server.WorkingSetAsync() - before) / MiB;
        Assert.True(grown < 200, $"the server grew by {grown:F0} MiB for a presence subscriber that stopped reading");
        Assert.True(await server.SlowConsumersAsync() == 1, $"{2 * cycles} unread presence events did not get the stalled subscriber cut off");
        Assert.Equal(1, (await server.ScrapeAsync()).Sum("broadcast_server_slow_consumer_disconnects_total", ("broadcast_overflow_cause", "reply")));
        Assert.True(await watcher.StopAsync() > 0, "the watcher received nothing");
        await AssertCutOffAsSlowConsumerAsync(stalled);
    }

    [Fact]
    public async Task A_client_that_resumes_again_and_again_without_reading_is_cut_off_without_growing_the_server()
    {
        await using var server = await AttackedServer.StartAsync();
        string epoch;
        await using (var filler = await ExtendedClient.ConnectAsync(server.WebSocketUri))
        {
            var message = new string('r', 16 * 1024);
            for (var i = 1; i < 100; i++)
            {
                await filler.SendAsync(new { type = "publish", channel = "lobby", message });
            }

            epoch = (await filler.PublishAsync("lobby", message, "last")).GetProperty("epoch").GetString()!;
        }

        var before = await server.WorkingSetAsync();
        await using var watcher = await LockstepWatcher.StartAsync(server.WebSocketUri);

        // Each subscribe with `since` asks for the whole history again (1.6 MB); the client reads nothing.
        await using var resumer = await server.ConnectSilentAsync(extended: true);
        await resumer.SendTextAsync("""{"type":"hello"}""");
        var resume = JsonSerializer.Serialize(new { type = "subscribe", channel = "lobby", since = new { epoch, offset = 0 } });
        var sent = 0;
        while (sent < 200_000 && await server.SlowConsumersAsync() == 0)
        {
            await resumer.SendTextFramesAsync(1000, resume);
            sent += 1000;
        }

        await resumer.SendTextAsync("{");
        await UntilCutOffOrAnsweredAsync(server, 1, "the resumer to be cut off or answered");
        var grown = (await server.WorkingSetAsync() - before) / MiB;
        Assert.True(grown < 300, $"the server grew by {grown:F0} MiB for a client that resumed {sent} times without reading");
        Assert.True(await server.SlowConsumersAsync() == 1, $"{sent} unread resumes did not get the client cut off");
        Assert.True(await watcher.StopAsync() > 0, "the watcher received nothing");
        await AssertCutOffAsSlowConsumerAsync(resumer);
    }
}
