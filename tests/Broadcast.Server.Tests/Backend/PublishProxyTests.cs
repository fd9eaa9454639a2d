using System.Net.WebSockets;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The publish proxy: on the channels it covers the application's backend (a real HTTP server) refuses a
/// publish, lets it through, or replaces its message; a backend that cannot be asked gets the configured outcome.
/// </summary>
public abstract class PublishProxyTests(EngineUnderTest engine)
{
    private const string Replacement = "replaced by the backend: ✓";

    private static Task<TestBackend> StartBackendAsync() =>
        TestBackend.StartAsync((context, request) =>
        {
            var word = ScriptedBackend.CaseOfChannel(request);
            return word == "replace"
                ? ScriptedBackend.AnswerAsync(context, "ok", System.Text.Json.JsonSerializer.Serialize(new { data = Replacement }))
                : ScriptedBackend.AnswerAsync(context, word);
        });

    private static async Task<string> RefusedCodeAsync(ExtendedClient client, string channel, string id)
    {
        await client.SendAsync(new { type = "publish", id, channel, message = "m" });
        var error = await client.ReceiveAsync("error");
        Assert.Equal(id, error.GetProperty("id").GetString());
        return error.GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task The_backend_lets_a_publish_through_replaces_its_message_or_refuses_it_and_subscribers_on_another_node_see_the_outcome()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Publish", backend, channels: "gate:*"));
        await using var publisher = await ExtendedClient.ConnectAsync(nodes.A);
        await using var reader = await ExtendedClient.ConnectAsync(nodes.B);
        await reader.SubscribeAsync("gate:ok:1", id: "s1");
        await reader.SubscribeAsync("gate:replace:1", id: "s2");
        await reader.SubscribeAsync("gate:refuse:1", id: "s3");

        await publisher.PublishAsync("gate:ok:1", "as \"sent\"", "p1");
        Assert.Equal("as \"sent\"", (await reader.ReceiveAsync("pub")).GetProperty("message").GetString());
        var asked = Assert.Single(backend.Requests);
        Assert.Equal("/publish", asked.Path);
        Assert.Equal("gate:ok:1", ScriptedBackend.Field(asked, "channel"));
        Assert.Equal("as \"sent\"", ScriptedBackend.Field(asked, "data"));

        await publisher.PublishAsync("gate:replace:1", "original", "p2");
        var replaced = await reader.ReceiveAsync("pub");
        Assert.Equal("gate:replace:1", replaced.GetProperty("channel").GetString());
        Assert.Equal(Replacement, replaced.GetProperty("message").GetString());

        Assert.Equal(ScriptedBackend.RefusalCode, await RefusedCodeAsync(publisher, "gate:refuse:1", "p3"));

        // Uncovered channels are not asked about; the refused publish never reached the reader.
        await reader.SubscribeAsync("plain", id: "s4");
        await publisher.PublishAsync("plain", "unasked", "p4");
        var next = await reader.ReceiveAsync("pub");
        Assert.Equal("plain", next.GetProperty("channel").GetString());
        Assert.Equal(3, backend.Requests.Count);
    }

    [Fact]
    public async Task A_backend_that_is_slow_down_or_answers_garbage_refuses_by_default_and_a_disconnect_closes_the_publisher()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Publish", backend, channels: "gate:*"));
        await using var publisher = await ExtendedClient.ConnectAsync(nodes.A);
        await using var legacy = await nodes.B.ConnectAsync();

        Assert.Equal("backend_unavailable", await RefusedCodeAsync(publisher, "gate:slow:1", "p1"));
        Assert.Equal("backend_unavailable", await RefusedCodeAsync(publisher, "gate:garbage:1", "p2"));
        Assert.Equal("backend_unavailable", await RefusedCodeAsync(publisher, "gate:wrongshape:1", "p3"));
        await backend.StopAsync();
        Assert.Equal("backend_unavailable", await RefusedCodeAsync(publisher, "gate:ok:1", "p4"));
        await backend.StartAgainAsync();
        await publisher.PublishAsync("gate:ok:2", "back", "p5");

        await publisher.SendAsync(new { type = "publish", id = "p6", channel = "gate:kick:1", message = "m" });
        var (close, _) = await publisher.Client.ReceiveUntilCloseAsync();
        Assert.Equal((WebSocketCloseStatus)ScriptedBackend.KickCode, close.CloseStatus);

        // Other clients are untouched.
        await using var other = await nodes.A.ConnectAsync();
        await other.SendMessageAsync("legacy still works");
        Assert.Equal("legacy still works", (await legacy.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task With_OnFailure_Allow_a_backend_that_cannot_be_asked_lets_the_message_through_unchanged()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Publish", backend, onFailure: "Allow", channels: "gate:*"));
        await using var publisher = await ExtendedClient.ConnectAsync(nodes.A);
        await using var reader = await ExtendedClient.ConnectAsync(nodes.B);
        await reader.SubscribeAsync("gate:slow:1");

        await publisher.PublishAsync("gate:slow:1", "waited for nobody", "p1");
        Assert.Equal("waited for nobody", (await reader.ReceiveAsync("pub")).GetProperty("message").GetString());
        Assert.Equal(ScriptedBackend.RefusalCode, await RefusedCodeAsync(publisher, "gate:refuse:1", "p2"));
    }

    [Fact]
    public async Task A_legacy_client_publishing_to_events_is_asked_about_and_gets_the_refusal_in_its_own_frames()
    {
        await using var backend = await TestBackend.StartAsync((context, request) =>
            ScriptedBackend.AnswerAsync(context, ScriptedBackend.Field(request, "data") ?? "ok"));
        await using var server = await engine.StartAsync(ProxySettings.For("Publish", backend, channels: "events"));
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await sender.SendMessageAsync("refuse");
        var error = await sender.ReceiveJsonAsync();
        Assert.Equal(ScriptedBackend.RefusalCode, error.GetProperty("code").GetString());
        Assert.Equal(ScriptedBackend.RefusalText, error.GetProperty("error").GetString());

        await sender.SendMessageAsync("fine");
        var received = await receiver.ReceiveJsonAsync();
        Assert.Equal("fine", received.GetProperty("message").GetString());
        Assert.Equal(["message", "timestamp"], received.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("legacy", ScriptedBackend.Field(backend.Requests[^1], "protocol"));
    }

    [Fact]
    public async Task Data_and_bytes_on_a_proxied_channel_are_shown_to_the_backend_as_they_are_and_may_be_replaced_in_kind()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Publish", backend, channels: "gate:*"));
        await using var publisher = await ExtendedClient.ConnectAsync(nodes.A);
        await using var reader = await ExtendedClient.ConnectAsync(nodes.B);
        await reader.SubscribeAsync("gate:ok:1", id: "s1");
        await reader.SubscribeAsync("gate:replace:1", id: "s2");

        const string data = """{"x": [1, "two", null]}""";
        await publisher.Client.SendTextAsync($$"""{"type":"publish","id":"d","channel":"gate:ok:1","data":{{data}}}""");
        await publisher.ReceiveAsync("ack");
        Assert.Equal(data, (await reader.ReceiveAsync("pub")).GetProperty("data").GetRawText());
        var asked = ScriptedBackend.Body(backend.Requests[^1]);
        Assert.Equal("data", asked.GetProperty("payload").GetString());
        Assert.Equal(data, asked.GetProperty("data").GetRawText());

        await publisher.SendAsync(new { type = "publish", id = "b", channel = "gate:ok:1", bytes = "AAH/" });
        await publisher.ReceiveAsync("ack");
        Assert.Equal("AAH/", (await reader.ReceiveAsync("pub")).GetProperty("bytes").GetString());
        asked = ScriptedBackend.Body(backend.Requests[^1]);
        Assert.Equal("bytes", asked.GetProperty("payload").GetString());
        Assert.Equal("AAH/", asked.GetProperty("data").GetString());

        // The backend's replacement is published as the client's kind: data here (a JSON string value).
        await publisher.SendAsync(new { type = "publish", id = "r", channel = "gate:replace:1", data = new { x = 1 } });
        await publisher.ReceiveAsync("ack");
        var replaced = await reader.ReceiveAsync("pub");
        Assert.Equal(Replacement, replaced.GetProperty("data").GetString());
        Assert.False(replaced.TryGetProperty("message", out _));

        // A replacement that cannot be bytes (not base64) is an unreadable answer: refused (the default outcome), nothing published.
        await publisher.SendAsync(new { type = "publish", id = "rb", channel = "gate:replace:1", bytes = "AAE=" });
        var error = await publisher.ReceiveAsync("error");
        Assert.Equal("rb", error.GetProperty("id").GetString());
        await publisher.PublishAsync("gate:replace:1", "after", "m");
        Assert.Equal(2, (await reader.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
    }
}

public sealed class PublishProxyTestsOnMemory(MemoryEngineUnderTest engine) : PublishProxyTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class PublishProxyTestsOnRedis(RedisEngineUnderTest engine) : PublishProxyTests(engine), IClassFixture<RedisEngineUnderTest>;
