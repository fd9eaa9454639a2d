using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Channels;

/// <summary>
/// Large answers within the per-connection bound: history comes in pages of at most
/// <c>Broadcast:HistoryPageBytes</c> (WebSocket and HTTP alike) that together hold every publication once, in
/// order; a resume replays a whole history larger than the queue's byte bound, as the client reads.
/// </summary>
public abstract class HistoryPagingTests(EngineUnderTest engine)
{
    private const int PageBytes = 64 * 1024;
    private const string ApiKey = "paging-api-key-0123456789";

    /// <summary>Room for a page's own fields, and for the one publication a page may pass its bound by.</summary>
    private const int PageSlack = 512 + 9 * 1024;

    private static string MessageFor(int i) => i.ToString(CultureInfo.InvariantCulture) + ":" + new string('m', 1024 * (1 + (i % 8)));

    /// <summary>Publishes <paramref name="count"/> publications of 1 to 8 KB on <paramref name="channel"/> and waits until all are in.</summary>
    private static async Task<string> PublishAsync(RunningServer server, string channel, int count, Func<int, string> message)
    {
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        for (var i = 1; i < count; i++)
        {
            await publisher.SendAsync(new { type = "publish", channel, message = message(i) });
        }

        // Requests are handled in order: this ack means every one before it was published.
        return (await publisher.PublishAsync(channel, message(count), "last")).GetProperty("epoch").GetString()!;
    }

    [Fact]
    public async Task Paging_through_history_returns_every_publication_exactly_once_in_order_in_bounded_pages()
    {
        const int Count = 300;
        await using var server = await engine.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:HistoryPageBytes"] = PageBytes.ToString(CultureInfo.InvariantCulture),
            ["Broadcast:Api:Key"] = ApiKey,
        });
        await PublishAsync(server, "room", Count, MessageFor);

        // Over the WebSocket: one request for everything, then one per `more`.
        await using var reader = await ExtendedClient.ConnectAsync(server);
        var received = new List<(long Offset, string Message)>();
        var pages = 0;
        for (var more = true; more; pages++)
        {
            await reader.SendAsync(new { type = "history", id = "h", channel = "room", since = received.Count == 0 ? 0 : received[^1].Offset, limit = 1000 });
            var frame = await reader.Client.ReceiveAsync();
            var page = frame.Json;
            Assert.Equal("history", page.GetProperty("type").GetString());
            Assert.True(frame.Text.Length <= PageBytes + PageSlack, $"a history reply of {frame.Text.Length} bytes");
            Assert.False(page.GetProperty("truncated").GetBoolean());
            received.AddRange(page.GetProperty("publications").EnumerateArray().Select(p => (p.GetProperty("offset").GetInt64(), p.GetProperty("message").GetString()!)));
            more = page.GetProperty("more").GetBoolean();
        }

        Assert.True(pages > 5, $"{Count} publications of up to 8 KB came in {pages} pages of at most {PageBytes} bytes");
        Assert.Equal(Enumerable.Range(1, Count).Select(i => ((long)i, MessageFor(i))), received);

        // Over HTTP: the same pages, bounded the same way.
        var fromApi = new List<(long Offset, string Message)>();
        for (var more = true; more;)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/channels/room/history?limit=1000&since={(fromApi.Count == 0 ? 0 : fromApi[^1].Offset)}");
            request.Headers.Add("X-API-Key", ApiKey);
            using var response = await server.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            Assert.Equal(new MediaTypeHeaderValue("application/json"), response.Content.Headers.ContentType);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(body.Length <= PageBytes + PageSlack, $"an HTTP history answer of {body.Length} bytes");
            var page = JsonDocument.Parse(body).RootElement;
            fromApi.AddRange(page.GetProperty("publications").EnumerateArray().Select(p => (p.GetProperty("offset").GetInt64(), p.GetProperty("message").GetString()!)));
            more = page.GetProperty("more").GetBoolean();
        }

        Assert.Equal(received, fromApi);
    }

    [Fact]
    public async Task A_limit_that_fits_in_one_page_is_answered_in_one_page_without_more()
    {
        await using var server = await engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:HistoryPageBytes"] = PageBytes.ToString(CultureInfo.InvariantCulture) });
        await PublishAsync(server, "room", 20, i => $"small {i}");
        await using var reader = await ExtendedClient.ConnectAsync(server);
        await reader.SendAsync(new { type = "history", id = "h", channel = "room", since = 5, limit = 10 });
        var page = await reader.ReceiveAsync("history");
        Assert.False(page.GetProperty("more").GetBoolean());
        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), page.GetProperty("publications").EnumerateArray().Select(p => p.GetProperty("offset").GetInt64()));
    }

    [Fact]
    public async Task A_resume_replays_a_whole_history_larger_than_the_queue_bound_in_order_and_goes_on_live()
    {
        // 1,000 publications of 20 KB: 20 MB to replay through a queue bound of 16 MiB (the default).
        const int Count = 1000;
        var message = new string('r', 20 * 1024);
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        var subscriber = await ExtendedClient.ConnectAsync(server);
        var session = subscriber.Session;
        var epoch = (await subscriber.SubscribeAsync("big")).GetProperty("epoch").GetString()!;
        await subscriber.DisposeAsync();
        await PublishAsync(server, "big", Count, _ => message);

        await using var resumed = await ExtendedClient.ConnectAsync(server, session: session);
        var reply = await resumed.SubscribeAsync("big", since: new { epoch, offset = 0 });
        Assert.True(reply.GetProperty("recovered").GetBoolean());
        Assert.Equal(Count, reply.GetProperty("missed").GetInt32());

        // Publications keep arriving while the replay is read: they follow it, none lost, none twice.
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= 50; i++)
            {
                await publisher.PublishAsync("big", $"live {i}", $"live-{i}");
            }
        });
        var offsets = new List<long>();
        while (offsets.Count < Count + 50)
        {
            var pub = await resumed.ReceiveAsync("pub");
            offsets.Add(pub.GetProperty("offset").GetInt64());
        }

        await publishing;
        Assert.Equal(Enumerable.Range(1, Count + 50).Select(i => (long)i), offsets);
    }

    [Fact]
    public async Task A_client_that_stops_reading_during_a_resume_is_cut_off_once_what_is_held_behind_its_replay_passes_the_bound()
    {
        await using var server = await engine.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:OutboundQueueCapacity"] = "16",
            ["Broadcast:OutboundQueueBytes"] = "65536",
            // The close frame waits behind what the socket already holds until this client reads, which it does
            // only after its 40 publishes: under load those took longer than the default 5 s, the server gave up
            // on the close and aborted, and the test saw no close frame. What is asserted stays the same.
            ["Broadcast:CloseTimeout"] = "00:02:00",
            // Nor may a keep-alive cut it off first: a client that reads nothing answers no ping, and under load
            // the publishes outlast the 15 s interval plus the 10 s pong wait (the test then saw no close frame).
            ["Broadcast:KeepAliveInterval"] = "00:00:00",
        });
        var epoch = await PublishAsync(server, "big", 1000, i => $"{i}:" + new string('r', 16 * 1024));

        // It asks for the whole history (16 MB) and reads nothing: the replay waits for it, a portion at a time.
        await using var resumer = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: "Sec-WebSocket-Protocol: broadcast.v2\r\n");
        await resumer.SendTextAsync("""{"type":"hello"}""");
        await resumer.SendTextAsync(JsonSerializer.Serialize(new { type = "subscribe", channel = "big", since = new { epoch, offset = 0 } }));

        // It reads as far as the subscribe's answer and the replay's first publication, then stops: from then on
        // the live publications are held behind a replay that is under way. (Publishing before the subscribe had
        // read the history let live 1 push publication 1 out of the 1,000 kept, HistorySize, and the resume was
        // rightly refused; publishing before any of the replay was written let the cut-off discard all of it,
        // rightly too, leaving nothing to check the order of.)
        var subscribed = await ReceiveUntilAsync(resumer, "subscribed");
        Assert.True(subscribed.GetProperty("recovered").GetBoolean(), subscribed.ToString());
        Assert.Equal(1000, subscribed.GetProperty("offset").GetInt64());
        var offsets = new List<long> { (await ReceiveUntilAsync(resumer, "pub")).GetProperty("offset").GetInt64() };

        // Live publications meanwhile are held behind the replay, and bounded like a queue: past 16, it is cut off.
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        for (var i = 1; i <= 40; i++)
        {
            await publisher.PublishAsync("big", $"live {i}", $"live-{i}");
        }

        // Reading at last: the rest of the replay that was sent, in order, nothing live, then the close.
        RawWebSocket.Frame? frame;
        while ((frame = await resumer.ReceiveFrameAsync(TimeSpan.FromSeconds(60))) is { Opcode: not RawWebSocket.Close })
        {
            if (frame.Opcode != RawWebSocket.Text)
            {
                // A keep-alive ping.
                continue;
            }

            var json = JsonDocument.Parse(frame.Payload).RootElement;
            if (json.GetProperty("type").GetString() == "pub")
            {
                offsets.Add(json.GetProperty("offset").GetInt64());
            }
        }

        Assert.NotNull(frame);
        Assert.Equal(1008, frame.CloseCode);
        Assert.InRange(offsets.Count, 1, 999);
        Assert.Equal(Enumerable.Range(1, offsets.Count).Select(i => (long)i), offsets);
    }

    /// <summary>Reads frames until a text frame of <paramref name="type"/> comes (a close or the end fails the test).</summary>
    private static async Task<JsonElement> ReceiveUntilAsync(RawWebSocket socket, string type)
    {
        while (true)
        {
            var frame = await socket.ReceiveFrameAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(frame);
            Assert.NotEqual(RawWebSocket.Close, frame.Opcode);
            if (frame.Opcode == RawWebSocket.Text && JsonDocument.Parse(frame.Payload).RootElement is var json && json.GetProperty("type").GetString() == type)
            {
                return json;
            }
        }
    }
}


public sealed class HistoryPagingTestsOnMemory(MemoryEngineUnderTest engine) : HistoryPagingTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class HistoryPagingTestsOnRedis(RedisEngineUnderTest engine) : HistoryPagingTests(engine), IClassFixture<RedisEngineUnderTest>;
