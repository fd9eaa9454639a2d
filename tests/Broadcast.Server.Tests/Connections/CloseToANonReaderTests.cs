using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// A close the server starts ends the TCP connection within <c>Broadcast:CloseTimeout</c> even when the client
/// never reads again (so neither the close frame nor the data before it ever gets through) and keep-alive is
/// off: on either stack, the server lets the connection go, and the other clients keep being served.
/// </summary>
public sealed class CloseToANonReaderTests
{
    private static readonly string Payload = new('n', 60 * 1024);

    public static TheoryData<string, string> Closes() => new()
    {
        { "Kestrel", "slow_consumer" },
        { "Kestrel", "too_big" },
        { "Kestrel", "invalid_utf8" },
        { "Kestrel", "unmasked" },
        { "Connection", "slow_consumer" },
        { "Connection", "invalid_utf8" },
        { "Connection", "unmasked" },
        { "Connection", "too_big" },
    };

    [Theory]
    [MemberData(nameof(Closes))]
    public async Task The_server_ends_the_connection_within_the_close_timeout_although_the_client_never_reads(string stack, string close)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:WebSocketStack"] = stack,
            // Nothing but the close timeout may end it: no keep-alive ping to go unanswered.
            ["Broadcast:KeepAliveInterval"] = "00:00:00",
            ["Broadcast:CloseTimeout"] = "00:00:01",
            ["Broadcast:OutboundQueueCapacity"] = close == "slow_consumer" ? "32" : "1024",
        });
        var serverPort = server.BaseAddress.Port;
        await using var reader = await RawWebSocket.ConnectAsync(server.BaseAddress, receiveBufferSize: 16 * 1024);
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);
        Assert.True(ServerSideTcp.IsHeldOpen(serverPort, reader.LocalEndPoint), "the reader's connection is open on the server before the close");

        // The reader never reads: its socket fills and a write to it stays pending, with more queued behind it.
        for (var seq = 0; seq < 200 && server.Registry.Count == 3; seq++)
        {
            await publisher.SendMessageAsync($"{seq}:{Payload}");
            await watcher.ReceiveJsonAsync();
        }

        if (close != "slow_consumer")
        {
            Assert.Equal(3, server.Registry.Count);
            Assert.Contains(server.Registry.All(), session => session.Frames.QueuedFrames > 0);
        }

        await SendOffenceAsync(reader, close);

        // Far below any other way out (there is none: no keep-alive), far above the close timeout of 1 s.
        await Eventually.TrueAsync(() => !ServerSideTcp.IsHeldOpen(serverPort, reader.LocalEndPoint), TimeSpan.FromSeconds(30), "the server to end the reader's TCP connection");

        // Nobody else was harmed.
        await publisher.SendMessageAsync("still serving");
        Assert.Equal("still serving", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    /// <summary>What makes the server close: the queue's overflow needs nothing more, the rest a frame from the client.</summary>
    private static Task SendOffenceAsync(RawWebSocket client, string close) => close switch
    {
        "slow_consumer" => Task.CompletedTask,
        "too_big" => client.SendFrameAsync(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"message\":\"" + new string('x', 70 * 1024) + "\"}")),
        "invalid_utf8" => client.SendFrameAsync(RawWebSocket.Text, (byte[])[.. "{\"message\":\""u8, 0xC3, 0x28, .. "\"}"u8]),
        "unmasked" => client.SendFrameAsync(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"message\":\"x\"}"), masked: false),
        _ => throw new ArgumentOutOfRangeException(nameof(close)),
    };
}
