using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>Connections are counted by the transport that carries them (<c>broadcast.transport</c>).</summary>
public sealed class StreamMetricsTests
{
    [Fact]
    public async Task Connections_are_counted_by_transport()
    {
        await using var server = await RunningServer.StartAsync();
        await using var socket = await server.ConnectAsync();
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.HelloAsync();
        await using var sse = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=room");
        await sse.ReceiveAsync("welcome");
        await server.WaitForConnectionCountAsync(3);

        PrometheusScrape? scrape = null;
        await Eventually.TrueAsync(
            async () => (scrape = await PrometheusScrape.FetchAsync(server.Http)).Sum("broadcast_server_active_connections") == 3,
            TimeSpan.FromSeconds(20),
            "three connections to be counted");
        Assert.Equal(1, scrape!.Sum("broadcast_server_active_connections", ("broadcast_transport", "websocket"), ("broadcast_protocol", "legacy")));
        Assert.Equal(1, scrape.Sum("broadcast_server_active_connections", ("broadcast_transport", "http_stream"), ("broadcast_protocol", "v2")));
        Assert.Equal(1, scrape.Sum("broadcast_server_active_connections", ("broadcast_transport", "sse"), ("broadcast_protocol", "v2")));

        await stream.DisposeAsync();
        await server.WaitForConnectionCountAsync(2);
        await Eventually.TrueAsync(
            async () => (scrape = await PrometheusScrape.FetchAsync(server.Http)).Sum("broadcast_server_connections_closed_total", ("broadcast_transport", "http_stream")) == 1,
            TimeSpan.FromSeconds(20),
            "the stream's end to be counted");
        var closed = string.Join("\n", scrape!.Text.Split('\n').Where(line => line.StartsWith("broadcast_server_connections_closed_total", StringComparison.Ordinal)));
        Assert.True(
            scrape.Sum("broadcast_server_connections_closed_total", ("broadcast_transport", "http_stream"), ("broadcast_close_reason", "connection_lost")) == 1,
            $"the stream's end counted as connection_lost; counted: {closed}");
    }
}
