using System.Net.WebSockets;
using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>Size limits, encoding errors and abrupt disconnects end the right connection with the right code, and only it.</summary>
public sealed class LimitTests
{
    private const int Limit = 1024;

    private static Task<RunningServer> StartWithLimitAsync() =>
        RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:MaxMessageBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>A valid frame of exactly <paramref name="size"/> bytes.</summary>
    private static string FrameOfSize(int size)
    {
        const string prefix = "{\"message\":\"";
        const string suffix = "\"}";
        return prefix + new string('x', size - prefix.Length - suffix.Length) + suffix;
    }

    [Fact]
    public async Task A_message_exactly_at_the_limit_is_accepted()
    {
        await using var server = await StartWithLimitAsync();
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        var frame = FrameOfSize(Limit);
        Assert.Equal(Limit, Encoding.UTF8.GetByteCount(frame));
        await sender.SendTextAsync(frame);
        Assert.Equal(Limit - 14, (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString()!.Length);
    }

    [Fact]
    public async Task A_message_at_the_limit_in_many_fragments_is_accepted()
    {
        await using var server = await StartWithLimitAsync();
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        var bytes = Encoding.UTF8.GetBytes(FrameOfSize(Limit));
        for (var offset = 0; offset < bytes.Length; offset += 100)
        {
            var count = Math.Min(100, bytes.Length - offset);
            await sender.Socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, CancellationToken.None);
        }

        Assert.Equal(Limit - 14, (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString()!.Length);
    }

    [Fact]
    public async Task One_byte_over_the_limit_closes_with_1009_and_others_keep_receiving()
    {
        await using var server = await StartWithLimitAsync();
        await using var offender = await server.ConnectAsync();
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        await offender.SendTextAsync(FrameOfSize(Limit + 1));
        var (close, before) = await offender.ReceiveUntilCloseAsync();
        Assert.Empty(before);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
        Assert.Contains("1024", close.CloseDescription, StringComparison.Ordinal);

        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("still serving");
        Assert.Equal("still serving", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_huge_message_is_refused_without_being_broadcast()
    {
        await using var server = await StartWithLimitAsync();
        await using var offender = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await offender.SendTextAsync(FrameOfSize(2 * 1024 * 1024));
        var (close, _) = await offender.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);

        await using var publisher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("after the flood");
        Assert.Equal("after the flood", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Invalid_UTF8_closes_with_1007()
    {
        await using var server = await RunningServer.StartAsync();
        await using var offender = await server.ConnectAsync();
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        byte[] invalid = [.. "{\"message\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        await offender.Socket.SendAsync(invalid, WebSocketMessageType.Text, true, CancellationToken.None);
        var (close, _) = await offender.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);

        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("unaffected");
        Assert.Equal("unaffected", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Connection_count_returns_to_zero_after_clients_vanish()
    {
        await using var server = await RunningServer.StartAsync();
        var clients = new List<TestClient>();
        for (var i = 0; i < 10; i++)
        {
            clients.Add(await server.ConnectAsync());
        }

        await server.WaitForConnectionCountAsync(10);
        var health = await server.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/health");
        Assert.Equal(10, health.GetProperty("connections").GetInt32());

        // Half leave politely, half just drop the TCP connection.
        for (var i = 0; i < clients.Count; i++)
        {
            if (i % 2 == 0)
            {
                await clients[i].CloseAsync();
            }
            else
            {
                clients[i].Socket.Abort();
            }
        }

        await server.WaitForConnectionCountAsync(0);
        await Eventually.TrueAsync(
            async () => (await server.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/health")).GetProperty("connections").GetInt32() == 0,
            TimeSpan.FromSeconds(10),
            "/health to report zero connections");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
