using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Channels;

/// <summary>The extended protocol's basics: session, channels, publications with positions, acks, errors.</summary>
public abstract class ExtendedProtocolTests(EngineUnderTest engine)
{
    [Fact]
    public async Task Hello_starts_a_session_and_a_returning_client_keeps_its_session()
    {
        await using var server = await engine.StartAsync();
        await using var first = await ExtendedClient.ConnectAsync(server, name: "ana");
        Assert.False(first.Welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(2, first.Welcome.GetProperty("protocol").GetInt32());
        Assert.Equal(65536, first.Welcome.GetProperty("limits").GetProperty("maxMessageBytes").GetInt32());

        await using var again = await ExtendedClient.ConnectAsync(server, session: first.Session);
        Assert.True(again.Welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(first.Session, again.Session);
    }

    [Fact]
    public async Task Frames_before_hello_and_a_second_hello_are_errors_that_keep_the_connection()
    {
        await using var server = await engine.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.WebSocketUri, options => options.AddSubProtocol("broadcast.v2"));

        await client.SendTextAsync("""{"type":"subscribe","id":"early","channel":"room"}""");
        var error = await client.ReceiveJsonAsync();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("hello_required", error.GetProperty("code").GetString());
        Assert.Equal("early", error.GetProperty("id").GetString());

        await client.SendTextAsync("""{"type":"hello"}""");
        Assert.Equal("welcome", (await client.ReceiveJsonAsync()).GetProperty("type").GetString());
        await client.SendTextAsync("""{"type":"hello","id":"h2"}""");
        Assert.Equal("hello_repeated", (await client.ReceiveJsonAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_publication_reaches_subscribers_with_its_position_and_origin_but_not_its_publisher()
    {
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await publisher.SubscribeAsync("room");
        var subscribed = await subscriber.SubscribeAsync("room");
        Assert.Equal(0, subscribed.GetProperty("offset").GetInt64());
        Assert.False(subscribed.TryGetProperty("recovered", out _));

        var ack = await publisher.PublishAsync("room", "hello room", "m1");
        Assert.Equal(1, ack.GetProperty("offset").GetInt64());
        Assert.False(ack.GetProperty("duplicate").GetBoolean());

        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal("room", pub.GetProperty("channel").GetString());
        Assert.Equal(1, pub.GetProperty("offset").GetInt64());
        Assert.Equal(subscribed.GetProperty("epoch").GetString(), pub.GetProperty("epoch").GetString());
        Assert.Equal(ack.GetProperty("epoch").GetString(), pub.GetProperty("epoch").GetString());
        Assert.Equal(publisher.PublicId, pub.GetProperty("origin").GetString());
        Assert.Equal("hello room", pub.GetProperty("message").GetString());
        Assert.True(DateTimeOffset.TryParse(pub.GetProperty("timestamp").GetString(), out _));

        // The publisher is subscribed too but is not sent its own publication: its next frame is the other's.
        await subscriber.PublishAsync("room", "reply", "r1");
        var next = await publisher.ReceiveAsync("pub");
        Assert.Equal("reply", next.GetProperty("message").GetString());
        Assert.Equal(2, next.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Channels_are_separate_and_offsets_count_per_channel()
    {
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("b");

        Assert.Equal(1, (await publisher.PublishAsync("a", "a1", "1")).GetProperty("offset").GetInt64());
        Assert.Equal(2, (await publisher.PublishAsync("a", "a2", "2")).GetProperty("offset").GetInt64());
        Assert.Equal(1, (await publisher.PublishAsync("b", "b1", "3")).GetProperty("offset").GetInt64());

        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal("b1", pub.GetProperty("message").GetString());
        Assert.Equal(1, pub.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Legacy_and_extended_clients_meet_on_the_events_channel_each_in_their_own_format()
    {
        await using var server = await engine.StartAsync();
        await using var legacy = await server.ConnectAsync();
        await using var extended = await ExtendedClient.ConnectAsync(server);
        await extended.SubscribeAsync("events");
        await server.WaitForConnectionCountAsync(2);

        await legacy.SendMessageAsync("from legacy");
        var pub = await extended.ReceiveAsync("pub");
        Assert.Equal("from legacy", pub.GetProperty("message").GetString());
        Assert.Equal("events", pub.GetProperty("channel").GetString());

        await extended.PublishAsync("events", "from extended", "x1");
        var frame = await legacy.ReceiveJsonAsync();
        Assert.Equal(["message", "timestamp"], frame.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("from extended", frame.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_retried_publish_is_acknowledged_again_but_published_once()
    {
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");

        var first = await publisher.PublishAsync("room", "once", "retry-me");
        var retry = await publisher.PublishAsync("room", "once", "retry-me");
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
        Assert.Equal(first.GetProperty("offset").GetInt64(), retry.GetProperty("offset").GetInt64());

        // A retry after reconnecting with the same session is recognized too.
        await using var reconnected = await ExtendedClient.ConnectAsync(server, session: publisher.Session);
        var afterReconnect = await reconnected.PublishAsync("room", "once", "retry-me");
        Assert.True(afterReconnect.GetProperty("duplicate").GetBoolean());

        await reconnected.PublishAsync("room", "second", "other-id");
        Assert.Equal("once", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
        var next = await subscriber.ReceiveAsync("pub");
        Assert.Equal("second", next.GetProperty("message").GetString());
        Assert.Equal(2, next.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task History_returns_publications_after_an_offset()
    {
        await using var server = await engine.StartAsync();
        await using var client = await ExtendedClient.ConnectAsync(server);
        for (var i = 1; i <= 5; i++)
        {
            await client.PublishAsync("log", $"line {i}", $"m{i}");
        }

        await client.SendAsync(new { type = "history", id = "h", channel = "log", since = 2, limit = 2 });
        var history = await client.ReceiveAsync("history");
        Assert.Equal(5, history.GetProperty("offset").GetInt64());
        Assert.False(history.GetProperty("truncated").GetBoolean());
        var publications = history.GetProperty("publications").EnumerateArray().ToList();
        Assert.Equal([3L, 4L], publications.Select(p => p.GetProperty("offset").GetInt64()));
        Assert.Equal("line 3", publications[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Unsubscribe_stops_delivery_and_unsubscribing_twice_is_an_error()
    {
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("a");
        await subscriber.SubscribeAsync("b", id: "sub-b");

        await subscriber.SendAsync(new { type = "unsubscribe", id = "u1", channel = "a" });
        Assert.Equal("a", (await subscriber.ReceiveAsync("unsubscribed")).GetProperty("channel").GetString());
        await subscriber.SendAsync(new { type = "unsubscribe", id = "u2", channel = "a" });
        Assert.Equal("not_subscribed", (await subscriber.ReceiveAsync("error")).GetProperty("code").GetString());

        await publisher.PublishAsync("a", "not for you", "1");
        await publisher.PublishAsync("b", "for you", "2");
        Assert.Equal("for you", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    public static TheoryData<string, string> InvalidRequests => new()
    {
        { """{"type":"subscribe","id":"e","channel":"has space"}""", "channel_invalid" },
        { """{"type":"subscribe","id":"e","channel":""}""", "channel_invalid" },
        { "{\"type\":\"subscribe\",\"id\":\"e\",\"channel\":\"" + new string('c', 129) + "\"}", "channel_invalid" },
        { """{"type":"subscribe","id":"e"}""", "channel_invalid" },
        { """{"type":"subscribe","id":"e","channel":"ok","since":5}""", "since_invalid" },
        { """{"type":"subscribe","id":"e","channel":"ok","since":{"epoch":"x"}}""", "since_invalid" },
        { """{"type":"subscribe","id":"e","channel":"ok","since":{"epoch":"x","offset":-1}}""", "since_invalid" },
        { """{"type":"history","id":"e","channel":"ok","since":{"epoch":"x","offset":1}}""", "since_invalid" },
        { """{"type":"history","id":"e","channel":"ok","limit":0}""", "limit_invalid" },
        { """{"type":"history","id":"e","channel":"ok","limit":1001}""", "limit_invalid" },
        { """{"type":"publish","id":"e","channel":"ok"}""", "message_missing" },
        { """{"type":"publish","id":"e","channel":"ok","message":""}""", "message_empty" },
        { """{"type":"publish","id":"e","channel":"ok","message":7}""", "message_not_string" },
        { """{"type":"dance","id":"e"}""", "type_unknown" },
        { """{"id":"e","message":"no type"}""", "type_unknown" },
        { """{"type":"publish","id":"","channel":"ok","message":"x"}""", "id_invalid" },
        { """{"type":"publish","id":7,"channel":"ok","message":"x"}""", "id_invalid" },
        { """{"type":"publish","id":"e","channel":"ok","message":"x"} extra""", "invalid_json" },
        { "[1,2]", "not_an_object" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_requests_get_an_error_frame_with_a_code_and_the_connection_stays_usable(string frame, string code)
    {
        await using var server = await engine.StartAsync();
        await using var client = await ExtendedClient.ConnectAsync(server);
        await client.Client.SendTextAsync(frame);
        var error = await client.ReceiveAsync("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("error").GetString()));

        var ok = await client.PublishAsync("ok", "still works", "after-error");
        Assert.Equal(1, ok.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_connection_may_not_exceed_its_channel_limit()
    {
        await using var server = await engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Channels:MaxChannelsPerConnection"] = "2" });
        await using var client = await ExtendedClient.ConnectAsync(server);
        await client.SubscribeAsync("one", id: "1");
        await client.SubscribeAsync("two", id: "2");
        await client.SendAsync(new { type = "subscribe", id = "3", channel = "three" });
        var error = await client.ReceiveAsync("error");
        Assert.Equal("too_many_channels", error.GetProperty("code").GetString());
        Assert.Equal("three", error.GetProperty("channel").GetString());

        // Re-subscribing to one it has does not count twice.
        await client.SubscribeAsync("two", id: "2b");
    }

    [Fact]
    public async Task Error_codes_in_the_protocol_document_match_the_server()
    {
        var document = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "protocol.md"));
        foreach (var error in Broadcast.Server.Protocol.ProtocolErrors.All)
        {
            Assert.Contains($"`{error.Code}`", document, StringComparison.Ordinal);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broadcast.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    internal static JsonElement Since(JsonElement positionHolder, long offset) =>
        JsonSerializer.SerializeToElement(new { epoch = positionHolder.GetProperty("epoch").GetString(), offset });
}

public sealed class ExtendedProtocolTestsOnMemory(MemoryEngineUnderTest engine) : ExtendedProtocolTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class ExtendedProtocolTestsOnRedis(RedisEngineUnderTest engine) : ExtendedProtocolTests(engine), IClassFixture<RedisEngineUnderTest>;
