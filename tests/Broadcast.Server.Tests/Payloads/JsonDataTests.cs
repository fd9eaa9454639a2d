using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Payloads;

/// <summary>
/// <c>data</c>: any JSON value published beside <c>message</c> reaches subscribers, a resume's replay, history and
/// the HTTP API as the very bytes its publisher wrote (odd spacing, escapes and number spellings included), on every engine.
/// </summary>
public abstract class JsonDataTests(EngineUnderTest engine)
{
    private const string Key = "test-api-key-0123456789";

    /// <summary>Every kind of JSON value, spelled so that any re-serialization would show (spaces, escapes, exponents, a raw newline).</summary>
    public static readonly string[] Values =
    [
        """{ "b" : [1 ,2.50e0], "s":"\u00e9\n" , "n" :null }""",
        "[\n  true,false ,\"x\", {}, [] ]",
        "-0.50E+3",
        "12345678901234567890",
        "\"caf\\u00e9 \\\"quoted\\\"\"",
        "true",
        "false",
        "null",
    ];

    private Task<RunningServer> StartAsync() => engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Api:Key"] = Key });

    private static string PublishFrame(string channel, string data, string id) =>
        $$"""{"type":"publish","id":"{{id}}","channel":"{{channel}}","data":{{data}}}""";

    private static async Task PublishDataAsync(ExtendedClient publisher, string channel, string data, string id)
    {
        await publisher.Client.SendTextAsync(PublishFrame(channel, data, id));
        var ack = await publisher.ReceiveAsync("ack");
        Assert.Equal(id, ack.GetProperty("id").GetString());
    }

    private static HttpRequestMessage Api(HttpMethod method, string path, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-API-Key", Key);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    [Fact]
    public async Task Every_JSON_value_reaches_live_subscribers_byte_for_byte_without_a_message_field()
    {
        await using var server = await StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");

        for (var i = 0; i < Values.Length; i++)
        {
            await PublishDataAsync(publisher, "room", Values[i], i.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var value in Values)
        {
            var pub = await subscriber.ReceiveAsync("pub");
            Assert.Equal(value, pub.GetProperty("data").GetRawText());
            Assert.False(pub.TryGetProperty("message", out _));
        }
    }

    [Fact]
    public async Task Every_JSON_value_comes_back_unchanged_in_a_resume_replay_and_in_history_over_WebSocket_and_HTTP()
    {
        await using var server = await StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        string session, epoch;
        await using (var subscriber = await ExtendedClient.ConnectAsync(server))
        {
            session = subscriber.Session;
            epoch = (await subscriber.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
            subscriber.Client.Socket.Abort();
        }

        for (var i = 0; i < Values.Length; i++)
        {
            await PublishDataAsync(publisher, "room", Values[i], i.ToString(CultureInfo.InvariantCulture));
        }

        await using var resumed = await ExtendedClient.ConnectAsync(server, session: session);
        var reply = await resumed.SubscribeAsync("room", since: new { epoch, offset = 0 });
        Assert.True(reply.GetProperty("recovered").GetBoolean());
        foreach (var value in Values)
        {
            Assert.Equal(value, (await resumed.ReceiveAsync("pub")).GetProperty("data").GetRawText());
        }

        await resumed.SendAsync(new { type = "history", id = "h", channel = "room", since = 0 });
        var history = (await resumed.ReceiveAsync("history")).GetProperty("publications");
        Assert.Equal(Values, history.EnumerateArray().Select(p => p.GetProperty("data").GetRawText()));

        using var answer = await server.Http.SendAsync(Api(HttpMethod.Get, "/api/channels/room/history?since=0"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(Values, body.GetProperty("publications").EnumerateArray().Select(p => p.GetProperty("data").GetRawText()));
    }

    [Fact]
    public async Task Data_published_over_HTTP_reaches_subscribers_and_history_as_the_bytes_of_the_request()
    {
        await using var server = await StartAsync();
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");

        foreach (var value in Values)
        {
            using var response = await server.Http.SendAsync(Api(HttpMethod.Post, "/api/channels/room/publish", $$"""{"data": {{value}} }"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var value in Values)
        {
            Assert.Equal(value, (await subscriber.ReceiveAsync("pub")).GetProperty("data").GetRawText());
        }

        using var answer = await server.Http.SendAsync(Api(HttpMethod.Get, "/api/channels/room/history?since=0"));
        var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(Values, body.GetProperty("publications").EnumerateArray().Select(p => p.GetProperty("data").GetRawText()));
    }

    [Fact]
    public async Task A_legacy_subscriber_receives_the_JSON_text_of_data_and_the_base64_of_bytes_as_its_message()
    {
        await using var server = await StartAsync();
        await using var legacy = await TestClient.ConnectAsync(server.WebSocketUri);
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await Eventually.TrueAsync(() => server.Registry.Count == 2, TimeSpan.FromSeconds(20), "both clients registered");

        await PublishDataAsync(publisher, "events", Values[0], "d");
        await publisher.SendAsync(new { type = "publish", id = "b", channel = "events", bytes = Convert.ToBase64String([0, 1, 2, 250]) });
        await publisher.ReceiveAsync("ack");

        var first = await legacy.ReceiveJsonAsync();
        Assert.Equal(Values[0], first.GetProperty("message").GetString());
        Assert.Equal(["message", "timestamp"], first.EnumerateObject().Select(p => p.Name));
        var second = await legacy.ReceiveJsonAsync();
        Assert.Equal("AAEC+g==", second.GetProperty("message").GetString());
        Assert.Equal(["message", "timestamp"], second.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Bytes_published_as_base64_come_back_as_the_same_base64_live_and_in_history()
    {
        await using var server = await StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");
        byte[] bytes = [0, 10, 13, 255, (byte)'\n', 128];

        await publisher.SendAsync(new { type = "publish", id = "b", channel = "room", bytes = Convert.ToBase64String(bytes) });
        await publisher.ReceiveAsync("ack");

        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal(bytes, pub.GetProperty("bytes").GetBytesFromBase64());
        Assert.False(pub.TryGetProperty("message", out _));
        await subscriber.SendAsync(new { type = "history", id = "h", channel = "room", since = 0 });
        var history = (await subscriber.ReceiveAsync("history")).GetProperty("publications");
        Assert.Equal(bytes, history[0].GetProperty("bytes").GetBytesFromBase64());
    }

    [Fact]
    public async Task Bad_payloads_get_their_error_codes_and_the_connection_keeps_working()
    {
        await using var server = await StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");

        var tooDeep = new string('[', 33) + new string(']', 33);
        // Within the frame limit (64 KiB), nested far past any bound: an error code, never a stack overflow.
        var bomb = new string('[', 30_000) + new string(']', 30_000);
        (string Frame, string Code)[] cases =
        [
            (PublishFrame("room", tooDeep, "deep"), "data_too_deep"),
            (PublishFrame("room", bomb, "bomb"), "invalid_json"),
            ("""{"type":"publish","id":"both","channel":"room","message":"m","data":1}""", "payload_conflict"),
            ("""{"type":"publish","id":"b64","channel":"room","bytes":"not base64!"}""", "bytes_invalid"),
            ("""{"type":"publish","id":"num","channel":"room","bytes":12}""", "bytes_invalid"),
            ("""{"type":"publish","id":"none","channel":"room"}""", "message_missing"),
        ];
        foreach (var (frame, code) in cases)
        {
            await publisher.Client.SendTextAsync(frame);
            var error = await publisher.ReceiveAsync("error");
            Assert.True(code == error.GetProperty("code").GetString(), $"{frame[..Math.Min(60, frame.Length)]}: {error}");
        }

        // 32 levels is within the bound; the connection, and the subscriber, saw nothing of the refused ones.
        var deepest = new string('[', 32) + new string(']', 32);
        await PublishDataAsync(publisher, "room", deepest, "ok");
        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal(1, pub.GetProperty("offset").GetInt64());
        Assert.Equal(deepest, pub.GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task The_HTTP_publish_refuses_bad_payloads_with_the_same_codes()
    {
        await using var server = await StartAsync();
        (string Body, string Code)[] cases =
        [
            ($$"""{"data": {{new string('[', 33) + new string(']', 33)}} }""", "data_too_deep"),
            ("""{"message":"m","data":{}}""", "payload_conflict"),
            ("""{"bytes":"%%%"}""", "bytes_invalid"),
        ];
        foreach (var (body, code) in cases)
        {
            using var response = await server.Http.SendAsync(Api(HttpMethod.Post, "/api/channels/room/publish", body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }
    }
}

public sealed class JsonDataTestsOnMemory(MemoryEngineUnderTest engine) : JsonDataTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class JsonDataTestsOnRedis(RedisEngineUnderTest engine) : JsonDataTests(engine), IClassFixture<RedisEngineUnderTest>;
