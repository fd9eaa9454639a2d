using System.Text.Json;
using System.Text.Json.Nodes;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using MessagePack;

namespace Broadcast.Server.Tests.Payloads;

/// <summary>
/// <c>broadcast.v2.msgpack</c>: the extended protocol in MessagePack over binary frames, beside JSON clients on the
/// same channels; every publication reaches both, once each, in order, live and across a resume.
/// </summary>
public abstract class MessagePackTests(EngineUnderTest engine)
{
    private static readonly byte[] Binary = [0, 1, 2, 250, 255, (byte)'\n', (byte)'{'];

    private const string Data = """{"n":1.5,"list":[1,"two",null,true]}""";

    /// <summary>Offsets 1-6 as <see cref="PublishEveryKindAsync"/> publishes them: a message, data and bytes from a JSON client, then from a MessagePack one.</summary>
    private static readonly (string Kind, string? Text)[] Expected =
    [
        ("message", "from json"), ("data", Data), ("bytes", null),
        ("message", "from msgpack é"), ("data", Data), ("bytes", null),
    ];

    private Task<RunningServer> StartAsync() => engine.StartAsync();

    [Fact]
    public async Task A_MessagePack_client_speaks_the_extended_protocol_in_binary_frames()
    {
        await using var server = await StartAsync();
        await using var client = await MessagePackClient.ConnectAsync(server);
        Assert.Equal(2, client.Welcome.GetProperty("protocol").GetInt32());

        var subscribed = await client.SubscribeAsync("room");
        Assert.Equal("room", subscribed.GetProperty("channel").GetString());
        await client.SendAsync(new { type = "presence", id = "p", channel = "room" });
        Assert.Equal(1, (await client.ReceiveAsync("presence")).Json.GetProperty("count").GetInt32());
        await client.SendAsync(new { type = "unsubscribe", id = "u", channel = "nowhere" });
        Assert.Equal("not_subscribed", (await client.ReceiveAsync("error")).Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task JSON_and_MessagePack_subscribers_of_one_channel_each_get_every_publication_once_in_order_whoever_published_it()
    {
        await using var server = await StartAsync();
        await using var jsonSubscriber = await ExtendedClient.ConnectAsync(server);
        await using var packSubscriber = await MessagePackClient.ConnectAsync(server);
        await jsonSubscriber.SubscribeAsync("room");
        await packSubscriber.SubscribeAsync("room");
        await using var jsonPublisher = await ExtendedClient.ConnectAsync(server);
        await using var packPublisher = await MessagePackClient.ConnectAsync(server);

        await PublishEveryKindAsync(jsonPublisher, packPublisher);

        for (var i = 0; i < Expected.Length; i++)
        {
            AssertJsonPublication(i, await jsonSubscriber.ReceiveAsync("pub"));
            AssertPackPublication(i, await packSubscriber.ReceiveAsync("pub"));
        }

        // Once each: nothing else follows (a later publication is the next frame either gets).
        await jsonPublisher.PublishAsync("room", "last", "j-last");
        Assert.Equal(7, (await jsonSubscriber.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
        Assert.Equal(7, (await packSubscriber.ReceiveAsync("pub")).Json.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Both_encodings_get_what_they_missed_in_order_when_they_resume_and_in_history()
    {
        await using var server = await StartAsync();
        string jsonSession, packSession, epoch;
        await using (var jsonSubscriber = await ExtendedClient.ConnectAsync(server))
        await using (var packSubscriber = await MessagePackClient.ConnectAsync(server))
        {
            jsonSession = jsonSubscriber.Session;
            packSession = packSubscriber.Session;
            epoch = (await jsonSubscriber.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
            await packSubscriber.SubscribeAsync("room");
            jsonSubscriber.Client.Socket.Abort();
            packSubscriber.Client.Socket.Abort();
        }

        await using var jsonPublisher = await ExtendedClient.ConnectAsync(server);
        await using var packPublisher = await MessagePackClient.ConnectAsync(server);
        await PublishEveryKindAsync(jsonPublisher, packPublisher);

        await using var jsonResumed = await ExtendedClient.ConnectAsync(server, session: jsonSession);
        await using var packResumed = await MessagePackClient.ConnectAsync(server, session: packSession);
        Assert.True((await jsonResumed.SubscribeAsync("room", since: new { epoch, offset = 0 })).GetProperty("recovered").GetBoolean());
        Assert.True((await packResumed.SubscribeAsync("room", since: new { epoch, offset = 0 })).GetProperty("recovered").GetBoolean());
        for (var i = 0; i < Expected.Length; i++)
        {
            AssertJsonPublication(i, await jsonResumed.ReceiveAsync("pub"));
            AssertPackPublication(i, await packResumed.ReceiveAsync("pub"));
        }

        // History over MessagePack: the same payloads, bytes as bin inside the publications.
        await packResumed.SendAsync(new { type = "history", id = "h", channel = "room", since = 0 });
        var history = (await packResumed.ReceiveAsync("history")).Bytes;
        var publications = PublicationsOf(history);
        Assert.Equal(Expected.Length, publications.Count);
        for (var i = 0; i < Expected.Length; i++)
        {
            AssertPackPayload(i, publications[i]);
        }
    }

    private static async Task PublishEveryKindAsync(ExtendedClient jsonPublisher, MessagePackClient packPublisher)
    {
        await jsonPublisher.PublishAsync("room", "from json", "j1");
        await jsonPublisher.Client.SendTextAsync($$"""{"type":"publish","id":"j2","channel":"room","data":{{Data}}}""");
        await jsonPublisher.ReceiveAsync("ack");
        await jsonPublisher.SendAsync(new { type = "publish", id = "j3", channel = "room", bytes = Convert.ToBase64String(Binary) });
        await jsonPublisher.ReceiveAsync("ack");

        await packPublisher.SendAsync(new { type = "publish", id = "m1", channel = "room", message = "from msgpack é" });
        Assert.Equal(4, (await packPublisher.ReceiveAsync("ack")).Json.GetProperty("offset").GetInt64());
        await packPublisher.SendRawAsync(MessagePackClient.FromJson($$"""{"type":"publish","id":"m2","channel":"room","data":{{Data}}}"""));
        Assert.Equal(5, (await packPublisher.ReceiveAsync("ack")).Json.GetProperty("offset").GetInt64());
        await packPublisher.SendRawAsync(MessagePackClient.Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            w.Write("type");
            w.Write("publish");
            w.Write("id");
            w.Write("m3");
            w.Write("channel");
            w.Write("room");
            w.Write("bytes");
            w.Write(Binary);
        }));
        Assert.Equal(6, (await packPublisher.ReceiveAsync("ack")).Json.GetProperty("offset").GetInt64());
    }

    private static void AssertJsonPublication(int index, JsonElement pub)
    {
        Assert.Equal(index + 1, pub.GetProperty("offset").GetInt64());
        var (kind, text) = Expected[index];
        switch (kind)
        {
            case "message":
                Assert.Equal(text, pub.GetProperty("message").GetString());
                break;
            case "data":
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(text!), JsonNode.Parse(pub.GetProperty("data").GetRawText())), pub.ToString());
                break;
            default:
                Assert.Equal(Binary, pub.GetProperty("bytes").GetBytesFromBase64());
                break;
        }
    }

    private static void AssertPackPublication(int index, (byte[] Bytes, JsonElement Json) pub)
    {
        Assert.Equal("room", pub.Json.GetProperty("channel").GetString());
        Assert.Equal(MessagePackType.Integer, MessagePackClient.Field(pub.Bytes, "offset").Type);
        Assert.Equal(index + 1, pub.Json.GetProperty("offset").GetInt64());
        AssertPackPayload(index, pub.Bytes);
    }

    /// <summary>A publication map (a pub frame or a history entry) carries the expected payload, each kind in its MessagePack type.</summary>
    private static void AssertPackPayload(int index, byte[] map)
    {
        var (kind, text) = Expected[index];
        var json = JsonDocument.Parse(MessagePackSerializer.ConvertToJson(map)).RootElement;
        switch (kind)
        {
            case "message":
                Assert.Equal(MessagePackType.String, MessagePackClient.Field(map, "message").Type);
                Assert.Equal(text, json.GetProperty("message").GetString());
                break;
            case "data":
                Assert.Equal(MessagePackType.Map, MessagePackClient.Field(map, "data").Type);
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(text!), JsonNode.Parse(json.GetProperty("data").GetRawText())), json.ToString());
                break;
            default:
                Assert.Equal(Binary, MessagePackClient.BinValue(map, "bytes"));
                break;
        }
    }

    /// <summary>The publications of a history reply, each as its own MessagePack map.</summary>
    private static List<byte[]> PublicationsOf(byte[] history)
    {
        var (type, raw) = MessagePackClient.Field(history, "publications");
        Assert.Equal(MessagePackType.Array, type);
        var reader = new MessagePackReader(raw);
        var count = reader.ReadArrayHeader();
        var result = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var start = (int)reader.Consumed;
            reader.Skip();
            result.Add(raw[start..(int)reader.Consumed]);
        }

        return result;
    }
}

public sealed class MessagePackTestsOnMemory(MemoryEngineUnderTest engine) : MessagePackTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class MessagePackTestsOnRedis(RedisEngineUnderTest engine) : MessagePackTests(engine), IClassFixture<RedisEngineUnderTest>;
