using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// Channels configured to drop rather than disconnect: a client that stops reading keeps its connection,
/// loses the oldest (or all but the newest) publications of those channels, and is told so.
/// </summary>
public sealed class SlowConsumerPolicyTests
{
    private const int Messages = 2000;
    private const int Window = 8;
    private static readonly string Payload = new('p', 8 * 1024);

    private static Dictionary<string, string?> Settings(string policy, string channels) => new()
    {
        ["Broadcast:OutboundQueueCapacity"] = "16",
        ["Broadcast:CloseTimeout"] = "00:01:00",
        [$"Broadcast:Channels:{policy}"] = channels,
    };

    [Fact]
    public async Task Keep_latest_channel_drops_a_stalled_clients_backlog_but_keeps_it_connected_and_sends_the_newest()
    {
        await using var server = await RunningServer.StartAsync(Settings("KeepLatest", "ticker.*"));
        using var stalled = new ClientWebSocket();
        stalled.Options.KeepAliveInterval = TimeSpan.Zero;
        stalled.Options.AddSubProtocol("broadcast.v2");
        await stalled.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        await SendAsync(stalled, """{"type":"hello"}""");
        await ReceiveUntilAsync(stalled, frame => Type(frame) == "welcome");
        await SendAsync(stalled, """{"type":"subscribe","id":"s","channel":"ticker.a"}""");
        await ReceiveUntilAsync(stalled, frame => Type(frame) == "subscribed");

        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var watcher = await ExtendedClient.ConnectAsync(server);
        await watcher.SubscribeAsync("ticker.a");

        // Paced by the healthy watcher, so only the client that stopped reading falls behind.
        var window = new SemaphoreSlim(Window);
        var watching = Task.Run(async () =>
        {
            for (var seq = 0; seq < Messages; seq++)
            {
                var pub = await watcher.ReceiveAsync("pub");
                Assert.StartsWith(seq.ToString(CultureInfo.InvariantCulture) + ":", pub.GetProperty("message").GetString(), StringComparison.Ordinal);
                window.Release();
            }
        });
        for (var seq = 0; seq < Messages; seq++)
        {
            Assert.True(await window.WaitAsync(TestClient.DefaultTimeout), "the healthy watcher stopped receiving");
            await publisher.SendAsync(new { type = "publish", channel = "ticker.a", message = $"{seq}:{Payload}" });
        }

        await watching;

        // Reading at last: part of the stream, a notice of what was dropped, and the newest publication;
        // offsets only grow (the gaps are what was dropped), and the connection is still open.
        var offsets = new List<long>();
        var dropped = 0L;
        await ReceiveUntilAsync(stalled, frame =>
        {
            switch (Type(frame))
            {
                case "dropped":
                    Assert.Equal("ticker.a", frame.GetProperty("channel").GetString());
                    dropped += frame.GetProperty("count").GetInt64();
                    return false;
                case "pub":
                    offsets.Add(frame.GetProperty("offset").GetInt64());
                    return frame.GetProperty("message").GetString()!.StartsWith($"{Messages - 1}:", StringComparison.Ordinal);
                default:
                    return false;
            }
        });

        Assert.True(dropped > 0, "the client was not told that it lost publications");
        Assert.InRange(offsets.Count, 1, Messages - 1);
        Assert.Equal(offsets.Order(), offsets);
        Assert.Equal(Messages, offsets.Count + dropped);
        Assert.Equal(WebSocketState.Open, stalled.State);
        Assert.Equal(0, server.App.Services.GetRequiredService<BroadcastMetrics>().Snapshot().SlowConsumerDisconnects);
        Assert.True(server.App.Services.GetRequiredService<BroadcastMetrics>().Snapshot().SlowConsumerDroppedFrames >= dropped);
    }

    [Fact]
    public async Task Drop_oldest_on_the_default_channel_tells_a_legacy_client_and_keeps_delivering_newer_messages()
    {
        await using var server = await RunningServer.StartAsync(Settings("DropOldest", "events"));
        using var stalled = new ClientWebSocket();
        stalled.Options.KeepAliveInterval = TimeSpan.Zero;
        await stalled.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        var window = new SemaphoreSlim(Window);
        var watching = Task.Run(async () =>
        {
            for (var seq = 0; seq < Messages; seq++)
            {
                var text = (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString()!;
                Assert.StartsWith(seq.ToString(CultureInfo.InvariantCulture) + ":", text, StringComparison.Ordinal);
                window.Release();
            }
        });
        for (var seq = 0; seq < Messages; seq++)
        {
            Assert.True(await window.WaitAsync(TestClient.DefaultTimeout), "the healthy watcher stopped receiving");
            await publisher.SendMessageAsync($"{seq}:{Payload}");
        }

        await watching;

        var sequence = new List<int>();
        var notices = 0;
        await ReceiveUntilAsync(stalled, frame =>
        {
            if (frame.TryGetProperty("code", out var code))
            {
                Assert.Equal("messages_dropped", code.GetString());
                notices++;
                return false;
            }

            var text = frame.GetProperty("message").GetString()!;
            sequence.Add(int.Parse(text[..text.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture));
            return sequence[^1] == Messages - 1;
        });

        Assert.True(notices > 0, "the legacy client was not told that it lost messages");
        Assert.InRange(sequence.Count, 1, Messages - 1);
        Assert.Equal(sequence.Order(), sequence);
        Assert.Equal(WebSocketState.Open, stalled.State);
        Assert.Equal(0, server.App.Services.GetRequiredService<BroadcastMetrics>().Snapshot().SlowConsumerDisconnects);
    }

    private static string? Type(JsonElement frame) => frame.TryGetProperty("type", out var type) ? type.GetString() : null;

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Reads whole text frames until <paramref name="done"/> says so; fails on a close or after 30 s.</summary>
    private static async Task ReceiveUntilAsync(ClientWebSocket socket, Func<JsonElement, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            using var document = JsonDocument.Parse(message.ToArray());
            message.SetLength(0);
            if (done(document.RootElement))
            {
                return;
            }
        }
    }
}
