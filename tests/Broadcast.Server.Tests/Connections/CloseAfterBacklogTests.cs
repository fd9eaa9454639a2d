using System.Text;
using Broadcast.Testing;
using Microsoft.AspNetCore.Hosting;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// A close the server starts reaches a client that has not yet read what was sent before it: the server does
/// not cut the TCP connection while its close frame still waits behind that backlog (on its way through the
/// server's output buffer), whichever stack and whichever close (the runtime's own 1007 and 1002, the
/// server's 1009). Once the client answers the close, the server ends the connection.
/// </summary>
public sealed class CloseAfterBacklogTests
{
    // 24 frames of 512 KB: more than the reader's small socket buffer and the server's socket can hold, so most
    // of it waits in the server's output when the close is sent.
    private const int Messages = 24;
    private static readonly string Payload = new('b', 512 * 1024);

    public static TheoryData<string, string, int> Closes() => new()
    {
        { "Kestrel", "invalid_utf8", 1007 },
        { "Kestrel", "unmasked", 1002 },
        { "Kestrel", "too_big", 1009 },
        { "Connection", "invalid_utf8", 1007 },
        { "Connection", "unmasked", 1002 },
        { "Connection", "too_big", 1009 },
    };

    [Theory]
    [MemberData(nameof(Closes))]
    public async Task The_close_frame_arrives_after_the_backlog_the_client_had_not_read(string stack, string offence, int expectedCode)
    {
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Broadcast:WebSocketStack"] = stack,
                ["Broadcast:MaxMessageBytes"] = "1048576",
                // Far longer than the test waits for anything: the server must end the connection because the
                // client answered its close, not because the close timed out.
                ["Broadcast:CloseTimeout"] = "00:05:00",
            },
            // Kestrel buffers the whole backlog instead of making the writer wait: the close frame is then
            // written at once, behind megabytes the client has not read (as on a slow link).
            builder =>
            {
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxResponseBufferSize = null);
                builder.WebHost.UseSockets(sockets => sockets.MaxWriteBufferSize = null);
            });
        await using var reader = await RawWebSocket.ConnectAsync(server.BaseAddress, receiveBufferSize: 16 * 1024);
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        for (var seq = 0; seq < Messages; seq++)
        {
            await publisher.SendMessageAsync($"{seq}:{Payload}");
        }

        // Every publication went out to the watcher, and the reader's writer took all of its own.
        for (var seq = 0; seq < Messages; seq++)
        {
            await watcher.ReceiveJsonAsync();
        }

        await Eventually.TrueAsync(
            () => server.Registry.All().Where(session => session.Frames.QueuedFrames > 0).Count() <= (stack == "Connection" ? 1 : 0),
            TimeSpan.FromSeconds(20),
            "the reader's frames to be written (or, on the server's own stack, to wait for its socket)");

        await SendOffenceAsync(reader, offence);

        // Whatever data frames came first (each whole and in order), the close frame follows them.
        var previous = -1;
        while (true)
        {
            var frame = await reader.ReceiveFrameAsync(TimeSpan.FromSeconds(30));
            Assert.True(frame is not null, $"the connection ended without a close frame (after data frame {previous})");
            if (frame.Opcode == RawWebSocket.Close)
            {
                Assert.Equal(expectedCode, frame.CloseCode);
                break;
            }

            Assert.Equal(RawWebSocket.Text, frame.Opcode);
            var message = System.Text.Json.JsonDocument.Parse(frame.Payload).RootElement.GetProperty("message").GetString()!;
            var seq = int.Parse(message[..message.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(seq > previous, $"frame {seq} after {previous}");
            previous = seq;
        }

        // The client answers the close: the server ends the TCP connection (without waiting for its close timeout),
        // on either stack, also after a frame that broke the protocol (RawWebSocketConnection.SkipUntilPeerClose).
        await reader.SendCloseAsync(expectedCode);
        Assert.Null(await reader.ReceiveFrameAsync(TimeSpan.FromSeconds(20)));

        // Nobody else was harmed.
        await publisher.SendMessageAsync("still serving");
        Assert.Equal("still serving", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    private static Task SendOffenceAsync(RawWebSocket client, string offence) => offence switch
    {
        "invalid_utf8" => client.SendFrameAsync(RawWebSocket.Text, (byte[])[.. "{\"message\":\""u8, 0xC3, 0x28, .. "\"}"u8]),
        "unmasked" => client.SendFrameAsync(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"message\":\"x\"}"), masked: false),
        "too_big" => client.SendFrameAsync(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"message\":\"" + new string('x', 1048576) + "\"}")),
        _ => throw new ArgumentOutOfRangeException(nameof(offence)),
    };
}
