using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Broadcast.Testing;
using MessagePack;

namespace Broadcast.Server.Tests.Payloads;

/// <summary>Writes one MessagePack value.</summary>
internal delegate void PackBody(ref MessagePackWriter writer);

/// <summary>
/// A raw client of <c>broadcast.v2.msgpack</c>: binary frames in and out. Frames are built from JSON by the
/// MessagePack library's own converter (or written by hand for what JSON cannot say: bin, ext, lies), and read
/// back with the library's reader, never with the server's code.
/// </summary>
internal sealed class MessagePackClient : IAsyncDisposable
{
    public const string Subprotocol = "broadcast.v2.msgpack";

    private MessagePackClient(TestClient client, JsonElement welcome)
    {
        Client = client;
        Welcome = welcome;
    }

    public TestClient Client { get; }

    public JsonElement Welcome { get; }

    public string Session => Welcome.GetProperty("session").GetString()!;

    public static async Task<MessagePackClient> ConnectAsync(RunningServer server, string? session = null)
    {
        var client = await TestClient.ConnectAsync(server.WebSocketUri, options => options.AddSubProtocol(Subprotocol));
        Assert.Equal(Subprotocol, client.Socket.SubProtocol);
        await client.SendBinaryAsync(FromJson(JsonSerializer.Serialize(new { type = "hello", session })));
        var welcome = await ReceiveFrameAsync(client);
        Assert.Equal("welcome", welcome.Json.GetProperty("type").GetString());
        return new MessagePackClient(client, welcome.Json);
    }

    /// <summary>JSON text as MessagePack, by the library's converter.</summary>
    public static byte[] FromJson(string json) => MessagePackSerializer.ConvertFromJson(json);

    public static byte[] Pack(PackBody body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        body(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public Task SendAsync(object frame) => Client.SendBinaryAsync(FromJson(JsonSerializer.Serialize(frame)));

    public Task SendRawAsync(byte[] frame) => Client.SendBinaryAsync(frame);

    /// <summary>The next frame, which must be binary MessagePack: its bytes and its JSON equivalent (by the library).</summary>
    public Task<(byte[] Bytes, JsonElement Json)> ReceiveAsync() => ReceiveFrameAsync(Client);

    public async Task<(byte[] Bytes, JsonElement Json)> ReceiveAsync(string expectedType)
    {
        var frame = await ReceiveAsync();
        Assert.True(frame.Json.GetProperty("type").GetString() == expectedType, $"Expected a '{expectedType}' frame, got {frame.Json}");
        return frame;
    }

    public async Task<JsonElement> SubscribeAsync(string channel, object? since = null)
    {
        await SendAsync(new { type = "subscribe", id = "sub", channel, since });
        return (await ReceiveAsync("subscribed")).Json;
    }

    /// <summary>The value of <paramref name="key"/> in a frame (a map), read with the library's reader: its exact MessagePack type shows.</summary>
    public static (MessagePackType Type, byte[] Raw) Field(byte[] frame, string key)
    {
        var reader = new MessagePackReader(frame);
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var start = reader.Consumed;
            var type = reader.NextMessagePackType;
            reader.Skip();
            if (name == key)
            {
                return (type, frame[(int)start..(int)reader.Consumed]);
            }
        }

        throw new KeyNotFoundException(key);
    }

    public static byte[] BinValue(byte[] frame, string key)
    {
        var (type, raw) = Field(frame, key);
        Assert.Equal(MessagePackType.Binary, type);
        var reader = new MessagePackReader(raw);
        return reader.ReadBytes()!.Value.ToArray();
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    private static async Task<(byte[] Bytes, JsonElement Json)> ReceiveFrameAsync(TestClient client)
    {
        var frame = await client.ReceiveAsync();
        Assert.True(frame.Type == WebSocketMessageType.Binary, $"Expected a binary frame, got {frame.Type}: {frame.Text}");
        var json = MessagePackSerializer.ConvertToJson(frame.Bytes);
        return (frame.Bytes!, JsonDocument.Parse(json).RootElement.Clone());
    }
}
