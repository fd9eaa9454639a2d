using System.Net;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>HTTP streaming: the extended protocol over one streaming response and POSTs, talking with WebSocket clients.</summary>
public sealed class HttpStreamTests
{
    [Fact]
    public async Task A_stream_client_says_hello_subscribes_and_talks_with_a_websocket_client_both_ways()
    {
        await using var server = await RunningServer.StartAsync();
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        Assert.StartsWith("application/x-ndjson", stream.Response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var welcome = await stream.HelloAsync(name: "streamer");
        Assert.Equal(2, welcome.GetProperty("protocol").GetInt32());
        await stream.SendAsync(new { type = "subscribe", id = "s1", channel = "room" });
        Assert.Equal("s1", (await stream.ReceiveAsync("subscribed")).GetProperty("id").GetString());

        await using var socket = await ExtendedClient.ConnectAsync(server);
        await socket.SubscribeAsync("room");
        await socket.PublishAsync("room", "from websocket", "w1");
        var pub = await stream.ReceiveAsync("pub");
        Assert.Equal("from websocket", pub.GetProperty("message").GetString());
        Assert.Equal(1, pub.GetProperty("offset").GetInt64());

        await stream.SendAsync(new { type = "publish", id = "p1", channel = "room", message = "from stream" });
        var ack = await stream.ReceiveAsync("ack");
        Assert.Equal("p1", ack.GetProperty("id").GetString());
        Assert.Equal(2, ack.GetProperty("offset").GetInt64());
        var got = await socket.ReceiveAsync("pub");
        Assert.Equal("from stream", got.GetProperty("message").GetString());
        Assert.Equal(welcome.GetProperty("publicId").GetString(), got.GetProperty("origin").GetString());
    }

    [Fact]
    public async Task Several_frames_in_one_post_are_handled_in_order()
    {
        await using var server = await RunningServer.StartAsync();
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.SendAsync(
            new { type = "hello" },
            new { type = "subscribe", id = "s", channel = "room" },
            new { type = "publish", id = "a", channel = "other", message = "1" },
            new { type = "publish", id = "b", channel = "other", message = "2" });
        Assert.Equal("welcome", (await stream.ReceiveAsync()).GetProperty("type").GetString());
        Assert.Equal("s", (await stream.ReceiveAsync("subscribed")).GetProperty("id").GetString());
        Assert.Equal(1, (await stream.ReceiveAsync("ack")).GetProperty("offset").GetInt64());
        Assert.Equal(2, (await stream.ReceiveAsync("ack")).GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_stream_resumes_its_session_and_gets_exactly_what_it_missed()
    {
        await using var server = await RunningServer.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        string session;
        string epoch;
        await using (var first = await HttpStreamClient.OpenAsync(server.BaseAddress))
        {
            session = (await first.HelloAsync()).GetProperty("session").GetString()!;
            await first.SendAsync(new { type = "subscribe", id = "s", channel = "room" });
            epoch = (await first.ReceiveAsync("subscribed")).GetProperty("epoch").GetString()!;
            await publisher.PublishAsync("room", "seen", "1");
            Assert.Equal(1, (await first.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
        }

        for (var i = 2; i <= 5; i++)
        {
            await publisher.PublishAsync("room", $"missed {i}", $"m{i}");
        }

        await using var again = await HttpStreamClient.OpenAsync(server.BaseAddress);
        Assert.True((await again.HelloAsync(session)).GetProperty("resumed").GetBoolean());
        await again.SendAsync(new { type = "subscribe", id = "s", channel = "room", since = new { epoch, offset = 1 } });
        var reply = await again.ReceiveAsync("subscribed");
        Assert.True(reply.GetProperty("recovered").GetBoolean());
        for (var offset = 2; offset <= 5; offset++)
        {
            Assert.Equal(offset, (await again.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
        }
    }

    [Fact]
    public async Task A_post_with_an_unknown_or_foreign_token_is_refused_and_harms_no_stream()
    {
        await using var server = await RunningServer.StartAsync();
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await using var other = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.HelloAsync();

        // The right stream with a wrong secret (a token forged from another's id), garbage, and none at all.
        var parts = stream.Token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{other.Token.Split('.')[2]}";
        foreach (var token in new[] { forged, "not-a-token", "" })
        {
            using var answer = await stream.PostRawAsync("""{"type":"publish","channel":"room","message":"x"}""", token);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            Assert.Equal("stream_unknown", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }

        // The stream that was aimed at is untouched: it still works, and nothing reached it.
        await stream.SendAsync(new { type = "subscribe", id = "s", channel = "room" });
        Assert.Equal("subscribed", (await stream.ReceiveAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_post_to_a_stream_that_ended_is_refused_as_stale()
    {
        await using var server = await RunningServer.StartAsync();
        string token;
        await using (var stream = await HttpStreamClient.OpenAsync(server.BaseAddress))
        {
            token = stream.Token;
            await stream.HelloAsync();
        }

        await server.WaitForConnectionCountAsync(0);
        await using var next = await HttpStreamClient.OpenAsync(server.BaseAddress);
        using var answer = await next.PostRawAsync("""{"type":"hello"}""", token);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    [Fact]
    public async Task An_oversized_post_body_is_refused_whole_and_the_stream_goes_on()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Streaming:MaxPostBytes"] = "4096" });
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.HelloAsync();
        var lines = string.Join('\n', Enumerable.Range(0, 100).Select(i => JsonSerializer.Serialize(new { type = "publish", channel = "room", message = new string('x', 60) })));
        using var answer = await stream.PostRawAsync(lines);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Equal("body_too_large", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // None of it was handled: the next publish is the channel's first.
        await stream.SendAsync(new { type = "publish", id = "p", channel = "room", message = "after" });
        Assert.Equal(1, (await stream.ReceiveAsync("ack")).GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_frame_over_the_message_limit_ends_the_stream_with_1009()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:MaxMessageBytes"] = "1024" });
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.HelloAsync();
        using var answer = await stream.PostAsync(new { type = "publish", channel = "room", message = new string('x', 2000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Equal("message_too_big", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var (close, _) = await stream.ReceiveUntilCloseAsync();
        Assert.Equal(1009, close.GetProperty("code").GetInt32());
        await stream.Completion.WaitAsync(TestClient.DefaultTimeout);
        await server.WaitForConnectionCountAsync(0);
    }

    [Fact]
    public async Task Streams_count_against_the_per_address_connection_limit()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxConnectionsPerAddress"] = "2" });
        await using var a = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await using var b = await ExtendedClient.ConnectAsync(server);
        var (refused, response) = await HttpStreamClient.TryOpenAsync(server.BaseAddress);
        Assert.Null(refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("too_many_connections", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        await a.HelloAsync();
    }

    [Fact]
    public async Task Graceful_shutdown_ends_a_stream_with_a_1001_close_line_after_what_was_queued()
    {
        var server = await RunningServer.StartAsync();
        try
        {
            await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
            await stream.HelloAsync();
            var stopping = server.App.StopAsync();
            var (close, _) = await stream.ReceiveUntilCloseAsync();
            Assert.Equal(1001, close.GetProperty("code").GetInt32());
            Assert.Equal("server shutting down", close.GetProperty("reason").GetString());
            await stopping;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_stream_that_keeps_requesting_past_its_budget_gets_rate_limited_then_a_1008_close_line()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Limits:RequestRatePerSecond"] = "1",
            ["Broadcast:Limits:RequestBurst"] = "2",
            ["Broadcast:Limits:RateLimitStrikes"] = "3",
        });
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.HelloAsync();
        await stream.SendAsync([.. Enumerable.Range(0, 20).Select(i => (object)new { type = "presence", id = $"q{i}", channel = "room" })]);
        var (close, before) = await stream.ReceiveUntilCloseAsync();
        Assert.Contains(before, f => f.GetProperty("type").GetString() == "error" && f.GetProperty("code").GetString() == "rate_limited");
        Assert.Equal(1008, close.GetProperty("code").GetInt32());
        Assert.Equal(Broadcast.Server.Security.ClientBudgets.RequestFloodReason, close.GetProperty("reason").GetString());
        await server.WaitForConnectionCountAsync(0);
    }
}
