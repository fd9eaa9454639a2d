using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Api;

/// <summary>The HTTP API: publishing from a server, listing channels, presence and history, behind an API key.</summary>
public abstract class ChannelApiTests(EngineUnderTest engine)
{
    private const string Key = "test-api-key-0123456789";

    private Task<RunningServer> StartAsync() =>
        engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Api:Key"] = Key });

    private static HttpRequestMessage Request(HttpMethod method, string path, string? key = Key, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key-wrong-key-wrong")]
    public async Task Publishing_without_the_right_key_is_401_and_publishes_nothing(string? key)
    {
        await using var server = await StartAsync();
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("news");

        using var response = await server.Http.SendAsync(Request(HttpMethod.Post, "/api/channels/news/publish", key, new { message = "sneaky" }));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        using var allowed = await server.Http.SendAsync(Request(HttpMethod.Post, "/api/channels/news/publish", Key, new { message = "official" }));
        Assert.Equal("official", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Without_a_configured_key_the_API_refuses_everyone()
    {
        await using var server = await engine.StartAsync();
        using var response = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/channels", key: "anything-at-all-anything"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_server_side_publish_returns_its_offset_and_reaches_legacy_and_extended_subscribers()
    {
        await using var server = await StartAsync();
        await using var legacy = await server.ConnectAsync();
        await using var extended = await ExtendedClient.ConnectAsync(server);
        await extended.SubscribeAsync("events");
        await server.WaitForConnectionCountAsync(2);

        using var response = await server.Http.SendAsync(Request(HttpMethod.Post, "/api/channels/events/publish", body: new { message = "from the backend", id = "job-1" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, result.GetProperty("offset").GetInt64());
        Assert.False(result.GetProperty("duplicate").GetBoolean());

        Assert.Equal("from the backend", (await legacy.ReceiveJsonAsync()).GetProperty("message").GetString());
        var pub = await extended.ReceiveAsync("pub");
        Assert.Equal("http", pub.GetProperty("origin").GetString());

        using var retry = await server.Http.SendAsync(Request(HttpMethod.Post, "/api/channels/events/publish", body: new { message = "from the backend", id = "job-1" }));
        var again = await retry.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, again.GetProperty("offset").GetInt64());
    }

    [Theory]
    [InlineData("/api/channels/bad%20name/publish", "{\"message\":\"x\"}", "channel_invalid")]
    [InlineData("/api/channels/ok/publish", "{}", "message_missing")]
    [InlineData("/api/channels/ok/publish", "{\"message\":\"\"}", "message_empty")]
    public async Task Bad_publish_requests_get_400_with_a_code(string path, string body, string code)
    {
        await using var server = await StartAsync();
        using var request = Request(HttpMethod.Post, path);
        request.Content = new StringContent(body, new MediaTypeHeaderValue("application/json"));
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Channels_presence_and_history_can_be_read()
    {
        await using var server = await StartAsync();
        await using var ana = await ExtendedClient.ConnectAsync(server, name: "ana");
        await ana.SubscribeAsync("room");
        await ana.PublishAsync("room", "one", "1");
        await ana.PublishAsync("room", "two \"quoted\" ü", "2");

        using var channels = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/channels"));
        var list = (await channels.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("channels").EnumerateArray().ToList();
        Assert.Contains(list, c => c.GetProperty("channel").GetString() == "room" && c.GetProperty("subscribers").GetInt32() == 1);

        using var presence = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/channels/room/presence"));
        var members = await presence.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, members.GetProperty("count").GetInt32());
        Assert.Equal("ana", members.GetProperty("members")[0].GetProperty("name").GetString());

        using var history = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/channels/room/history?since=1&limit=10"));
        var body = await history.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, body.GetProperty("offset").GetInt64());
        var publications = body.GetProperty("publications").EnumerateArray().ToList();
        Assert.Single(publications);
        Assert.Equal("two \"quoted\" ü", publications[0].GetProperty("message").GetString());

        using var badLimit = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/channels/room/history?limit=0"));
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }
}

public sealed class ChannelApiTestsOnMemory(MemoryEngineUnderTest engine) : ChannelApiTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class ChannelApiTestsOnRedis(RedisEngineUnderTest engine) : ChannelApiTests(engine), IClassFixture<RedisEngineUnderTest>;
