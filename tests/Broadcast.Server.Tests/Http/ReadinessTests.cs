using System.Net;
using System.Text.Json;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Http;

/// <summary><c>/ready</c> follows the engine: 503 while Redis is down, 200 again once it is back; <c>/health</c> stays 200.</summary>
public sealed class ReadinessTests : IClassFixture<RedisEngineUnderTest>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly RedisEngineUnderTest _engine;

    public ReadinessTests(RedisEngineUnderTest engine)
    {
        _engine = engine;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(RunningServer server)
    {
        using var response = await server.Http.GetAsync("/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task Readiness_flips_to_503_while_the_engine_is_unreachable_and_back_when_it_returns()
    {
        await using var server = await _engine.StartAsync();
        await Eventually.TrueAsync(async () => (await ReadyAsync(server)).Status == HttpStatusCode.OK, Timeout, "/ready to report 200 with Redis up");
        var (_, ready) = await ReadyAsync(server);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("engine").GetProperty("status").GetString());

        await _engine.Redis.StopAsync();
        try
        {
            await Eventually.TrueAsync(async () => (await ReadyAsync(server)).Status == HttpStatusCode.ServiceUnavailable, Timeout, "/ready to report 503 with Redis down");
            var (_, notReady) = await ReadyAsync(server);
            Assert.Equal("not_ready", notReady.GetProperty("status").GetString());
            Assert.Equal("failing", notReady.GetProperty("checks").GetProperty("engine").GetProperty("status").GetString());
            Assert.Equal("ok", notReady.GetProperty("checks").GetProperty("accepting_connections").GetProperty("status").GetString());

            // Liveness is unaffected: the process is fine, only its engine is not.
            using var health = await server.Http.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            var scrape = await PrometheusScrape.FetchAsync(server.Http);
            Assert.True(scrape.Sum("broadcast_server_engine_errors_total", ("broadcast_engine", "redis")) >= 1, "engine errors were not counted");
        }
        finally
        {
            await _engine.Redis.StartAgainAsync();
        }

        await Eventually.TrueAsync(async () => (await ReadyAsync(server)).Status == HttpStatusCode.OK, Timeout, "/ready to report 200 once Redis is back");
    }

    [Fact]
    public async Task Readiness_is_503_while_the_server_drains_for_shutdown()
    {
        await using var server = await RunningServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(server)).Status);

        server.App.Services.GetRequiredService<Broadcast.Server.Connections.ShutdownDrain>().Begin();

        var (status, body) = await ReadyAsync(server);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("failing", body.GetProperty("checks").GetProperty("accepting_connections").GetProperty("status").GetString());
    }
}
