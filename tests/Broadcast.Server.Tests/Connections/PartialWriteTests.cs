using System.Globalization;
using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// A client that stops reading while the server writes to it: its socket's buffers fill, the kernel takes part
/// of a batch and refuses the rest, and the write finishes later. When the client reads again, every frame
/// arrives whole, once and in order, on both WebSocket stacks.
/// </summary>
public sealed class PartialWriteTests
{
    // 24 frames of 512 KB (each a write of its own): twice what the server's socket may buffer (4 MiB at most on
    // a usual Linux) on top of the reader's small fixed buffer, and within the queue's default bound of 16 MiB, so
    // nothing is dropped and nobody is closed. A write that large rarely fits what the socket has free.
    private const int Messages = 24;
    private static readonly string Payload = new('w', 512 * 1024);

    [Theory]
    [InlineData("Connection")]
    [InlineData("Kestrel")]
    public async Task A_client_that_stops_reading_then_reads_again_gets_every_frame_whole_once_and_in_order(string stack)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:WebSocketStack"] = stack,
            ["Broadcast:MaxMessageBytes"] = "1048576",
        });
        await using var reader = await RawWebSocket.ConnectAsync(server.BaseAddress, receiveBufferSize: 16 * 1024);
        await using var publisher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        for (var seq = 0; seq < Messages; seq++)
        {
            await publisher.SendMessageAsync($"{seq}:{Payload}");
        }

        // The reader has read nothing yet: what its socket could not take waits in its queue (the publisher
        // gets none of its own messages back, so its queue stays empty).
        await Eventually.TrueAsync(
            () => server.Registry.All().Any(session => session.Frames.QueuedFrames > 0),
            TimeSpan.FromSeconds(20),
            "the reader's writes to stall with frames queued");

        for (var seq = 0; seq < Messages; seq++)
        {
            var frame = await reader.ReceiveFrameAsync();
            Assert.NotNull(frame);
            Assert.True(frame.Fin);
            Assert.Equal(RawWebSocket.Text, frame.Opcode);
            using var json = JsonDocument.Parse(frame.Payload);
            Assert.Equal($"{seq.ToString(CultureInfo.InvariantCulture)}:{Payload}", json.RootElement.GetProperty("message").GetString());
        }

        // Nothing more (no duplicate of a part already taken): the next frame is the answer to a ping of ours.
        await reader.SendFrameAsync(RawWebSocket.Ping, "after"u8.ToArray());
        var pong = await reader.ReceiveFrameAsync();
        Assert.NotNull(pong);
        Assert.Equal(RawWebSocket.Pong, pong.Opcode);
        Assert.Equal("after", pong.Text);
    }
}
