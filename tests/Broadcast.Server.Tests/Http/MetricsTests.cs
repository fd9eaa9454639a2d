using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary><c>/metrics</c> is valid Prometheus text and its numbers move as traffic flows.</summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Scrapes until <paramref name="condition"/> holds: the exporter may serve a cached scrape for a moment.</summary>
    private static async Task<PrometheusScrape> ScrapeUntilAsync(RunningServer server, Func<PrometheusScrape, bool> condition, string what)
    {
        PrometheusScrape? last = null;
        await Eventually.TrueAsync(
            async () => condition(last = await PrometheusScrape.FetchAsync(server.Http)),
            Timeout,
            what);
        return last!;
    }

    [Fact]
    public async Task Metrics_move_when_messages_flow()
    {
        await using var server = await RunningServer.StartAsync();
        var before = await PrometheusScrape.FetchAsync(server.Http);
        Assert.Equal(0, before.Sum("broadcast_server_messages_published_total"));

        await using var publisher = await server.ConnectAsync();
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);
        for (var i = 0; i < 5; i++)
        {
            await publisher.SendMessageAsync($"hello {i}");
            await first.ReceiveJsonAsync();
            await second.ReceiveJsonAsync();
        }

        await publisher.SendTextAsync("not json");
        Assert.Equal("invalid_json", (await publisher.ReceiveJsonAsync()).GetProperty("code").GetString());

        var scrape = await ScrapeUntilAsync(
            server,
            s => s.Sum("broadcast_server_messages_delivered_total") >= 10 && s.Sum("broadcast_server_messages_rejected_total") >= 1,
            "the deliveries and the rejection to be counted");
        Assert.Equal(3, scrape.Sum("broadcast_server_active_connections", ("broadcast_protocol", "legacy")));
        Assert.Equal(3, scrape.Sum("broadcast_server_connections_opened_total"));
        Assert.Equal(5, scrape.Sum("broadcast_server_messages_received_total"));
        Assert.Equal(5, scrape.Sum("broadcast_server_messages_published_total"));
        Assert.Equal(10, scrape.Sum("broadcast_server_messages_delivered_total"));
        Assert.Equal(1, scrape.Sum("broadcast_server_messages_rejected_total", ("error_type", "invalid_json")));
        Assert.True(scrape.Sum("broadcast_server_network_io_bytes_total", ("network_io_direction", "receive")) >= 5 * "{\"message\":\"hello 0\"}".Length);
        Assert.True(scrape.Sum("broadcast_server_network_io_bytes_total", ("network_io_direction", "transmit")) >= 10 * "{\"message\":\"hello 0\"}".Length);
        Assert.Equal(10, scrape.Sum("broadcast_server_delivery_duration_seconds_count"));
        Assert.Equal(10, scrape.Sum("broadcast_server_delivery_duration_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(1, scrape.Sum("broadcast_server_active_channels"));
        Assert.Contains("# TYPE broadcast_server_delivery_duration_seconds histogram", scrape.Text, StringComparison.Ordinal);

        await first.CloseAsync();
        await server.WaitForConnectionCountAsync(2);
        scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_connections_closed_total") == 1, "the close to be counted");
        Assert.Equal(1, scrape.Sum("broadcast_server_connections_closed_total", ("broadcast_close_reason", "client_closed"), ("websocket_close_code", "1000")));
        Assert.Equal(2, scrape.Sum("broadcast_server_active_connections"));
        Assert.Equal(1, scrape.Sum("broadcast_server_connection_duration_seconds_count"));
    }

    [Fact]
    public async Task ASP_NET_Core_and_runtime_metrics_are_exported_too()
    {
        await using var server = await RunningServer.StartAsync();
        (await server.Http.GetAsync("/health")).EnsureSuccessStatusCode();

        var scrape = await ScrapeUntilAsync(server, s => s.Has("http_server_request_duration_seconds_count"), "the /health request to be counted");
        Assert.True(scrape.Sum("http_server_request_duration_seconds_count", ("http_route", "/health")) >= 1);
        Assert.True(scrape.Has("kestrel_active_connections"));
        Assert.True(scrape.Has("dotnet_gc_heap_total_allocated_bytes_total"), "runtime metrics missing");
    }

    [Fact]
    public async Task A_slow_consumer_is_counted_and_shown_in_the_admin_view()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:OutboundQueueCapacity"] = "4", ["Broadcast:Admin:AllowAnonymous"] = "true" });
        // A client that never reads: its socket buffers fill, then its queue, then it is closed with 1008.
        using var stalled = new System.Net.WebSockets.ClientWebSocket();
        stalled.Options.KeepAliveInterval = TimeSpan.Zero;
        await stalled.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        await using var publisher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        var payload = new string('x', 16 * 1024);
        for (var i = 0; i < 4000 && server.Registry.Count == 2; i++)
        {
            await publisher.SendMessageAsync(payload);
        }

        await server.WaitForConnectionCountAsync(1, TimeSpan.FromSeconds(60));
        var scrape = await ScrapeUntilAsync(server, s => s.Sum("broadcast_server_slow_consumer_disconnects_total") == 1, "the slow consumer to be counted");
        Assert.True(scrape.Sum("broadcast_server_slow_consumer_dropped_frames_total") >= 1);
        Assert.Equal(1, scrape.Sum("broadcast_server_connections_closed_total", ("broadcast_close_reason", "policy_violation")));

        var overview = await server.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/admin/overview");
        var slow = Assert.Single(overview.GetProperty("slowConsumers").EnumerateArray());
        Assert.Equal(4, slow.GetProperty("capacity").GetInt32());
        Assert.Equal("127.0.0.1", slow.GetProperty("remoteAddress").GetString());
    }

    /// <summary>
    /// The flush cadence is visible: the interval between write rounds, in seconds, from its configured base when
    /// nothing is written, and never past how far it may stretch (here nowhere: every bound is 5 ms).
    /// </summary>
    [Fact]
    public async Task The_flush_interval_is_exported_as_configured()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:FlushInterval"] = "00:00:00.005",
            ["Broadcast:FlushIntervalMax"] = "00:00:00.005",
            ["Broadcast:FlushIntervalSparseMax"] = "00:00:00.005",
        });
        await using var publisher = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("through a flush round");
        await receiver.ReceiveJsonAsync();

        var scrape = await ScrapeUntilAsync(server, s => s.Has("broadcast_server_flush_interval_seconds"), "the flush interval to be exported");
        Assert.Equal(0.005, scrape.Sum("broadcast_server_flush_interval_seconds"), precision: 6);
        Assert.Contains("# TYPE broadcast_server_flush_interval_seconds gauge", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_flush_interval_stays_within_its_configured_bounds_by_default()
    {
        await using var server = await RunningServer.StartAsync();
        var scrape = await ScrapeUntilAsync(server, s => s.Has("broadcast_server_flush_interval_seconds"), "the flush interval to be exported");
        Assert.InRange(scrape.Sum("broadcast_server_flush_interval_seconds"), 0.001, 0.016);
    }
}
