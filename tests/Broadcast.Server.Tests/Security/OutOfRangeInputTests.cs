using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// Values at or past the end of their range get the request's error code (WebSocket) or a 4xx with
/// <c>{"error", "code"}</c> (HTTP), on both engines: never every publication, an engine error or a 500.
/// </summary>
public abstract class OutOfRangeInputTests(EngineUnderTest engine)
{
    private const string Key = "test-api-key-0123456789";
    private const long MaxOffset = 9_007_199_254_740_991;

    private Task<RunningServer> StartAsync() => engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Api:Key"] = Key });

    private static HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-API-Key", Key);
        return request;
    }

    private static async Task<(HttpStatusCode Status, string? Code)> SendAsync(RunningServer server, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await server.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var code = text.StartsWith('{') && JsonDocument.Parse(text).RootElement.TryGetProperty("code", out var value) ? value.GetString() : null;
            return (response.StatusCode, code);
        }
    }

    private static HttpRequestMessage Publish(string channel, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{channel}/publish");
        request.Headers.Add("X-API-Key", Key);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    /// <summary>A publish body of exactly <paramref name="size"/> bytes.</summary>
    private static byte[] PublishBody(int size)
    {
        var envelope = Encoding.UTF8.GetByteCount("{\"message\":\"\"}");
        return Encoding.UTF8.GetBytes("{\"message\":\"" + new string('x', size - envelope) + "\"}");
    }

    [Fact]
    public async Task A_since_past_the_largest_offset_is_since_invalid_on_the_WebSocket_and_nothing_else_is_sent()
    {
        await using var server = await StartAsync();
        await using var client = await ExtendedClient.ConnectAsync(server);
        for (var i = 1; i <= 3; i++)
        {
            await client.PublishAsync("room", $"m{i}", $"id-{i}");
        }

        foreach (var since in new object[] { long.MaxValue, MaxOffset + 1, 1e300 })
        {
            await client.SendAsync(new { type = "history", id = "h", channel = "room", since });
            var reply = await client.ReceiveAsync("error");
            Assert.Equal("since_invalid", reply.GetProperty("code").GetString());
        }

        var epoch = (await client.SubscribeAsync("room")).GetProperty("epoch").GetString();
        await client.SendAsync(new { type = "subscribe", id = "s", channel = "room", since = new { epoch, offset = long.MaxValue } });
        Assert.Equal("since_invalid", (await client.ReceiveAsync("error")).GetProperty("code").GetString());

        // The largest valid offset is simply past the end: nothing to return, nothing lost.
        await client.SendAsync(new { type = "history", id = "h", channel = "room", since = MaxOffset });
        var history = await client.ReceiveAsync("history");
        Assert.Empty(history.GetProperty("publications").EnumerateArray());
        Assert.False(history.GetProperty("truncated").GetBoolean());
        Assert.Equal(3, history.GetProperty("offset").GetInt64());

        // And the connection goes on as before.
        Assert.Equal(4, (await client.PublishAsync("room", "m4", "id-4")).GetProperty("offset").GetInt64());
    }

    [Theory]
    [InlineData("since=9223372036854775807", "since_invalid")]
    [InlineData("since=9007199254740992", "since_invalid")]
    [InlineData("since=99999999999999999999999", "since_invalid")]
    [InlineData("since=-1", "since_invalid")]
    [InlineData("since=ten", "since_invalid")]
    [InlineData("limit=0", "limit_invalid")]
    [InlineData("limit=1001", "limit_invalid")]
    [InlineData("limit=99999999999", "limit_invalid")]
    [InlineData("limit=many", "limit_invalid")]
    public async Task Out_of_range_history_queries_over_HTTP_get_400_with_a_code(string query, string code)
    {
        await using var server = await StartAsync();
        Assert.Equal((HttpStatusCode.OK, null), await SendAsync(server, Get("/api/channels/room/history?since=9007199254740991&limit=1000")));
        Assert.Equal((HttpStatusCode.BadRequest, code), await SendAsync(server, Get("/api/channels/room/history?" + query)));
    }

    [Fact]
    public async Task An_HTTP_publish_larger_than_a_message_may_be_is_413_and_delivers_nothing()
    {
        await using var server = await StartAsync();
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("room");

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "body_too_large"), await SendAsync(server, Publish("room", PublishBody(5_000_000))));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "body_too_large"), await SendAsync(server, Publish("room", PublishBody(65_537))));

        // Without a length up front (chunked), the server stops reading at the limit all the same.
        var chunked = Publish("room", []);
        chunked.Content = new StreamContent(new MemoryStream(PublishBody(1_000_000)));
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "body_too_large"), await SendAsync(server, chunked));

        // Exactly at the limit is a message like any other, and it is the first thing the subscriber gets.
        Assert.Equal((HttpStatusCode.OK, null), await SendAsync(server, Publish("room", PublishBody(65_536))));
        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal(1, pub.GetProperty("offset").GetInt64());
        Assert.Equal(65_536 - 14, pub.GetProperty("message").GetString()!.Length);
    }
}

public sealed class OutOfRangeInputTestsOnMemory(MemoryEngineUnderTest engine) : OutOfRangeInputTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class OutOfRangeInputTestsOnRedis(RedisEngineUnderTest engine) : OutOfRangeInputTests(engine), IClassFixture<RedisEngineUnderTest>;
