using System.Net.WebSockets;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The <c>rpc</c> request: answered by the application's backend (a real HTTP server); a backend that cannot be
/// asked is an error for the client whatever the failure setting, since an answer cannot be made up.
/// </summary>
public abstract class RpcProxyTests(EngineUnderTest engine)
{
    private static Task<TestBackend> StartBackendAsync() =>
        TestBackend.StartAsync((context, request) =>
        {
            var body = ScriptedBackend.Body(request);
            var echo = JsonSerializer.Serialize(new { data = new { echoed = body.GetProperty("data"), user = body.GetProperty("user") } });
            return ScriptedBackend.AnswerAsync(context, ScriptedBackend.Field(request, "method") ?? "ok", echo);
        });

    private static async Task<JsonElement> CallAsync(ExtendedClient client, string method, object? data, string id = "r1")
    {
        await client.SendAsync(new { type = "rpc", id, method, data });
        var frame = await client.Client.ReceiveJsonAsync();
        Assert.Equal(id, frame.GetProperty("id").GetString());
        return frame;
    }

    [Fact]
    public async Task The_backend_answers_an_rpc_with_data_or_refuses_it_with_its_code()
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Rpc", backend));
        await using var client = await ExtendedClient.ConnectAsync(nodes.A);

        var answer = await CallAsync(client, "ok", new { page = 2, tags = new[] { "a" } });
        Assert.Equal("rpc", answer.GetProperty("type").GetString());
        Assert.Equal(2, answer.GetProperty("data").GetProperty("echoed").GetProperty("page").GetInt32());
        Assert.Equal("a", answer.GetProperty("data").GetProperty("echoed").GetProperty("tags")[0].GetString());
        var asked = Assert.Single(backend.Requests);
        Assert.Equal("/rpc", asked.Path);
        Assert.Equal("ok", ScriptedBackend.Field(asked, "method"));

        // Without data the backend sees null.
        var bare = await CallAsync(client, "ok", null, "r2");
        Assert.Equal(JsonValueKind.Null, bare.GetProperty("data").GetProperty("echoed").ValueKind);

        var refused = await CallAsync(client, "refuse", null, "r3");
        Assert.Equal("error", refused.GetProperty("type").GetString());
        Assert.Equal(ScriptedBackend.RefusalCode, refused.GetProperty("code").GetString());
        Assert.Equal(ScriptedBackend.RefusalText, refused.GetProperty("error").GetString());

        // Bad requests never reach the backend.
        Assert.Equal("method_invalid", (await CallAsync(client, "no spaces", null, "r4")).GetProperty("code").GetString());
        await client.SendAsync(new { type = "rpc", method = "ok" });
        Assert.Equal("id_invalid", (await client.ReceiveAsync("error")).GetProperty("code").GetString());
        Assert.Equal(3, backend.Requests.Count);

        await client.SendAsync(new { type = "rpc", id = "r5", method = "kick" });
        var (close, _) = await client.Client.ReceiveUntilCloseAsync();
        Assert.Equal((WebSocketCloseStatus)ScriptedBackend.KickCode, close.CloseStatus);
        Assert.Equal(ScriptedBackend.KickReason, close.CloseDescription);
    }

    [Theory]
    [InlineData("Deny")]
    [InlineData("Allow")]
    public async Task A_backend_that_is_slow_down_or_answers_garbage_gives_backend_unavailable_whatever_the_failure_setting(string onFailure)
    {
        await using var backend = await StartBackendAsync();
        await using var nodes = await ProxyNodes.StartAsync(engine, ProxySettings.For("Rpc", backend, onFailure));
        await using var client = await ExtendedClient.ConnectAsync(nodes.A);

        Assert.Equal("backend_unavailable", (await CallAsync(client, "slow", null, "r1")).GetProperty("code").GetString());
        Assert.Equal("backend_unavailable", (await CallAsync(client, "garbage", null, "r2")).GetProperty("code").GetString());
        Assert.Equal("backend_unavailable", (await CallAsync(client, "status", null, "r3")).GetProperty("code").GetString());
        await backend.StopAsync();
        Assert.Equal("backend_unavailable", (await CallAsync(client, "ok", null, "r4")).GetProperty("code").GetString());
        await backend.StartAgainAsync();
        Assert.Equal("rpc", (await CallAsync(client, "ok", null, "r5")).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Without_an_rpc_backend_the_request_gets_rpc_not_configured()
    {
        await using var server = await engine.StartAsync();
        await using var client = await ExtendedClient.ConnectAsync(server);
        Assert.Equal("rpc_not_configured", (await CallAsync(client, "ok", null)).GetProperty("code").GetString());
    }
}

public sealed class RpcProxyTestsOnMemory(MemoryEngineUnderTest engine) : RpcProxyTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class RpcProxyTestsOnRedis(RedisEngineUnderTest engine) : RpcProxyTests(engine), IClassFixture<RedisEngineUnderTest>;
