using System.Net.WebSockets;
using Broadcast.Server.Protocol.MessagePack;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using MessagePack;

namespace Broadcast.Server.Tests.Payloads;

/// <summary>
/// Whatever a MessagePack client sends, it gets an error frame (or a close code), the server allocates nothing in
/// proportion to what a frame merely declares, and everyone else carries on.
/// </summary>
public sealed class MessagePackBadInputTests
{
    /// <summary>Frames that are not one map of the protocol, each answered <c>invalid_msgpack</c>.</summary>
    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "a never-used byte", [0xc1] },
        { "not a map", MessagePackClient.FromJson("[1,2]") },
        { "a truncated map", MessagePackClient.FromJson("""{"type":"hello","channel":"room"}""")[..9] },
        { "two values in one frame", [.. MessagePackClient.FromJson("""{"type":"presence"}"""), 0x01] },
        { "a map of four billion entries in six bytes", [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1] },
        { "a string declaring 4 GiB", [0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xdb, 0xff, 0xff, 0xff, 0xff, (byte)'x'] },
        { "bytes declaring 4 GiB", [0x81, 0xa5, (byte)'b', (byte)'y', (byte)'t', (byte)'e', (byte)'s', 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00] },
        { "an array declaring four billion items", [0x81, 0xa4, (byte)'d', (byte)'a', (byte)'t', (byte)'a', 0xdd, 0xff, 0xff, 0xff, 0xff] },
        { "nesting 10,000 levels deep", [0x81, 0xa4, (byte)'d', (byte)'a', (byte)'t', (byte)'a', .. Enumerable.Repeat((byte)0x91, 10_000), 0xc0] },
        { "an ext value", [0x81, 0xa4, (byte)'d', (byte)'a', (byte)'t', (byte)'a', 0xd4, 0x01, 0x00] },
        { "bin inside data", [0x81, 0xa4, (byte)'d', (byte)'a', (byte)'t', (byte)'a', 0xc4, 0x01, 0x00] },
        { "an integer key", [0x81, 0x01, 0x02] },
        { "a NaN", [0x81, 0xa4, (byte)'d', (byte)'a', (byte)'t', (byte)'a', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_frame_gets_invalid_msgpack_and_the_connection_keeps_working(string what, byte[] frame)
    {
        await using var server = await RunningServer.StartAsync();
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");
        await using var client = await MessagePackClient.ConnectAsync(server);

        await client.SendRawAsync(frame);
        var error = await client.ReceiveAsync("error");
        Assert.True(error.Json.GetProperty("code").GetString() == "invalid_msgpack", $"{what}: {error.Json}");

        await client.SendAsync(new { type = "publish", id = "ok", channel = "room", message = "still here" });
        Assert.Equal(1, (await client.ReceiveAsync("ack")).Json.GetProperty("offset").GetInt64());
        Assert.Equal("still here", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Fields_of_the_wrong_type_get_the_same_codes_as_in_JSON()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await MessagePackClient.ConnectAsync(server);
        (string Json, string Code)[] cases =
        [
            ("""{"type":"subscribe","id":"a","channel":5}""", "channel_invalid"),
            ("""{"type":"publish","id":"b","channel":"room","message":7}""", "message_not_string"),
            ("""{"type":"publish","id":"c","channel":"room","bytes":"not base64!"}""", "bytes_invalid"),
            ("""{"type":"publish","id":"d","channel":"room","message":"m","data":1}""", "payload_conflict"),
            ("""{"type":"history","id":"e","channel":"room","limit":"ten"}""", "limit_invalid"),
            ("""{"type":7}""", "type_unknown"),
        ];
        foreach (var (json, code) in cases)
        {
            await client.SendRawAsync(MessagePackClient.FromJson(json));
            var error = await client.ReceiveAsync("error");
            Assert.True(error.Json.GetProperty("code").GetString() == code, $"{json}: {error.Json}");
        }

        // Data nested past the 32-level bound, built by hand: data_too_deep, as in JSON.
        await client.SendRawAsync(MessagePackClient.Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            w.Write("type");
            w.Write("publish");
            w.Write("id");
            w.Write("deep");
            w.Write("channel");
            w.Write("room");
            w.Write("data");
            for (var i = 0; i < 33; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.WriteNil();
        }));
        Assert.Equal("data_too_deep", (await client.ReceiveAsync("error")).Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_text_frame_on_a_MessagePack_connection_and_a_binary_frame_on_a_JSON_connection_get_errors()
    {
        await using var server = await RunningServer.StartAsync();
        await using var pack = await MessagePackClient.ConnectAsync(server);
        await pack.Client.SendTextAsync("""{"type":"presence","id":"p","channel":"room"}""");
        Assert.Equal("text_not_supported", (await pack.ReceiveAsync("error")).Json.GetProperty("code").GetString());

        await using var json = await ExtendedClient.ConnectAsync(server);
        await json.Client.SendBinaryAsync(MessagePackClient.FromJson("""{"type":"presence","id":"p","channel":"room"}"""));
        var frame = await json.Client.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Text, frame.Type);
        Assert.Equal("binary_not_supported", frame.Json.GetProperty("code").GetString());
    }

    [Fact]
    public void Reading_a_frame_allocates_in_proportion_to_its_bytes_not_to_what_it_declares()
    {
        byte[][] liars =
        [
            [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1],
            [0x81, 0xa4, (byte)'d', (byte)'a', (byte)'t', (byte)'a', 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01],
            [0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xdb, 0x7f, 0xff, 0xff, 0xff, (byte)'x'],
            [0x81, 0xa5, (byte)'b', (byte)'y', (byte)'t', (byte)'e', (byte)'s', 0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00],
        ];
        MessagePackToJson.TryConvert(liars[0]);
        foreach (var frame in liars)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Null(MessagePackToJson.TryConvert(frame));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 64 * 1024, $"{Convert.ToHexString(frame)}: {allocated} bytes allocated for a frame declaring 2 GiB");
        }
    }
}
