using System.Globalization;
using System.Net.WebSockets;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>A client that stops reading or vanishes costs the others nothing and is removed.</summary>
public sealed class SlowAndDeadPeerTests
{
    private const int Messages = 3000;
    private const int Window = 8;
    private static readonly string Payload = new('p', 8 * 1024);

    private static Dictionary<string, string?> Settings(string closeTimeout) => new()
    {
        ["Broadcast:OutboundQueueCapacity"] = "16",
        ["Broadcast:CloseTimeout"] = closeTimeout,
    };

    /// <summary>
    /// Publishes as fast as the healthy watchers read (each may be at most <see cref="Window"/> behind),
    /// so only the client that stopped reading can fall behind its small queue.
    /// </summary>
    private static async Task PublishPacedAsync(TestClient publisher, SemaphoreSlim[] watcherWindows)
    {
        for (var seq = 0; seq < Messages; seq++)
        {
            foreach (var window in watcherWindows)
            {
                Assert.True(await window.WaitAsync(TestClient.DefaultTimeout), "a healthy watcher stopped receiving");
            }

            await publisher.SendMessageAsync($"{seq}:{Payload}");
        }
    }

    /// <summary>Connects a client that never reads, so its socket buffers and then its queue fill up.</summary>
    private static async Task<ClientWebSocket> ConnectStalledAsync(RunningServer server)
    {
        var stalled = new ClientWebSocket();
        stalled.Options.KeepAliveInterval = TimeSpan.Zero;
        await stalled.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        return stalled;
    }

    [Fact]
    public async Task A_client_that_stops_reading_gets_1008_while_the_others_receive_everything_in_order()
    {
        // A long close timeout: the stalled client is still connected when it starts reading again.
        await using var server = await RunningServer.StartAsync(Settings("00:01:00"));
        using var stalled = await ConnectStalledAsync(server);
        await using var publisher = await server.ConnectAsync();
        var watchers = new List<TestClient>();
        for (var i = 0; i < 3; i++)
        {
            watchers.Add(await server.ConnectAsync());
        }

        await server.WaitForConnectionCountAsync(5);
        var windows = watchers.Select(_ => new SemaphoreSlim(Window)).ToArray();
        var watching = watchers.Select(async (watcher, index) =>
        {
            for (var seq = 0; seq < Messages; seq++)
            {
                var text = (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString()!;
                Assert.StartsWith(seq.ToString(CultureInfo.InvariantCulture) + ":", text, StringComparison.Ordinal);
                windows[index].Release();
            }
        }).ToArray();

        await PublishPacedAsync(publisher, windows);

        // The watchers got every message although the stalled client has not read a byte, and while
        // its connection is still open (closing it takes up to a minute): nobody waited for it.
        await Task.WhenAll(watching);
        Assert.Equal(WebSocketState.Open, stalled.State);

        // When it reads at last, it finds what fit in its buffers, then the slow-consumer close.
        var buffer = new byte[64 * 1024];
        var received = 0;
        WebSocketReceiveResult result;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((result = await stalled.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close)
        {
            received += result.EndOfMessage ? 1 : 0;
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, result.CloseStatus);
        Assert.Contains("slow consumer", result.CloseStatusDescription, StringComparison.Ordinal);
        Assert.InRange(received, 0, Messages - 1);
        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_again_is_aborted_and_removed()
    {
        await using var server = await RunningServer.StartAsync(Settings("00:00:01"));
        using var stalled = await ConnectStalledAsync(server);
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        var window = new SemaphoreSlim(Window);
        var watching = Task.Run(async () =>
        {
            for (var seq = 0; seq < Messages; seq++)
            {
                await watcher.ReceiveJsonAsync();
                window.Release();
            }
        });
        await PublishPacedAsync(publisher, [window]);

        await watching;
        await server.WaitForConnectionCountAsync(2);
    }

    [Fact]
    public async Task A_peer_that_vanishes_without_closing_is_detected_by_keep_alive_and_removed()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:KeepAliveInterval"] = "00:00:00.500",
            ["Broadcast:KeepAliveTimeout"] = "00:00:01",
        });
        await using var proxy = new SilenceableProxy(server.BaseAddress);
        await using var client = await TestClient.ConnectAsync(
            new Uri($"ws://127.0.0.1:{proxy.Port}/ws/events"),
            options => options.KeepAliveInterval = TimeSpan.Zero);
        await server.WaitForConnectionCountAsync(1);

        // While the client answers pings, the connection lives through several of them.
        var afterHandshake = proxy.BytesToClient;
        await Eventually.TrueAsync(() => proxy.BytesToClient >= afterHandshake + 40, TimeSpan.FromSeconds(20), "several pings to pass");
        Assert.Equal(1, server.Registry.Count);

        proxy.GoSilent();
        await server.WaitForConnectionCountAsync(0);
    }
}
