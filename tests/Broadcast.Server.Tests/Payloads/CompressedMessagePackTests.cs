using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Payloads;

/// <summary>
/// Compression and a binary dialect together: a <c>broadcast.v2.msgpack</c> client that negotiated permessage-deflate
/// gets a long publication as a compressed binary frame that inflates to exactly the MessagePack frame a plain
/// MessagePack subscriber gets (the dialect's own encoding, compressed once, never its JSON).
/// </summary>
public class CompressedMessagePackTests
{
    private const string Headers =
        "Sec-WebSocket-Protocol: broadcast.v2.msgpack\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

    [Fact]
    public async Task A_compressing_MessagePack_subscriber_gets_the_MessagePack_frame_compressed_in_a_binary_frame()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Compression:Enabled"] = "true",
        });
        await using var plain = await MessagePackClient.ConnectAsync(server);
        await plain.SubscribeAsync("room");

        await using var compressing = await RawWebSocket.ConnectAsync(server.BaseAddress, extraHeaders: Headers);
        Assert.Contains("broadcast.v2.msgpack", compressing.ResponseHead, StringComparison.Ordinal);
        Assert.Contains("permessage-deflate", compressing.ResponseHead, StringComparison.OrdinalIgnoreCase);
        await compressing.SendFrameAsync(RawWebSocket.Binary, MessagePackClient.FromJson("""{"type":"hello"}"""));
        Assert.Equal("welcome", await NextTypeAsync(compressing));
        await compressing.SendFrameAsync(RawWebSocket.Binary, MessagePackClient.FromJson("""{"type":"subscribe","id":"s","channel":"room"}"""));
        Assert.Equal("subscribed", await NextTypeAsync(compressing));

        await using var publisher = await Channels.ExtendedClient.ConnectAsync(server);
        var text = string.Concat(Enumerable.Repeat("a long publication that compresses well, ", 40));
        await publisher.PublishAsync("room", text, "p1");

        var expected = (await plain.ReceiveAsync("pub")).Bytes;
        var frame = await compressing.ReceiveFrameAsync();
        Assert.NotNull(frame);
        Assert.Equal(RawWebSocket.Binary, frame.Opcode);
        Assert.True(frame.Compressed);
        Assert.True(frame.Payload.Length < expected.Length / 2);
        Assert.Equal(expected, ClientDeflate.Inflate(frame.Payload));
    }

    private static async Task<string?> NextTypeAsync(RawWebSocket socket)
    {
        var frame = await socket.ReceiveFrameAsync();
        Assert.NotNull(frame);
        Assert.Equal(RawWebSocket.Binary, frame.Opcode);
        var bytes = frame.Compressed ? ClientDeflate.Inflate(frame.Payload) : frame.Payload;
        return JsonDocument.Parse(MessagePack.MessagePackSerializer.ConvertToJson(bytes)).RootElement.GetProperty("type").GetString();
    }
}
