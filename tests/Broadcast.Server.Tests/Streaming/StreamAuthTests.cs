using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Broadcast.Server.Tests.Security;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>The streaming transports authenticate and admit like the WebSocket upgrade: tokens, origins, CORS.</summary>
public sealed class StreamAuthTests
{
    [Fact]
    public async Task A_stream_needs_a_token_as_an_upgrade_does_and_the_query_token_never_reaches_the_log()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__Console__LogLevel__Default"] = "Trace",
            ["Broadcast__Auth__HmacSecret"] = TestTokens.Secret,
            ["Broadcast__Auth__Required"] = "true",
        });
        var baseAddress = await server.WaitUntilListeningAsync();
        var token = TestTokens.Hs256(TestTokens.Claims("quinn"));
        var invalid = "invalid-token-" + Guid.NewGuid().ToString("N");

        var (none, noneAnswer) = await HttpStreamClient.TryOpenAsync(baseAddress);
        Assert.Null(none);
        Assert.Equal(HttpStatusCode.Unauthorized, noneAnswer.StatusCode);
        Assert.Equal("token_required", (await noneAnswer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var (bad, badAnswer) = await SseClient.TryOpenAsync(baseAddress, "/sse?channel=room&access_token=" + invalid);
        Assert.Null(bad);
        Assert.Equal(HttpStatusCode.Unauthorized, badAnswer.StatusCode);

        await using (var header = await HttpStreamClient.OpenAsync(baseAddress, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token)))
        {
            Assert.Equal("quinn", (await header.HelloAsync()).GetProperty("user").GetString());
        }

        await using (var query = await HttpStreamClient.OpenAsync(baseAddress, path: "/stream?access_token=" + token))
        {
            Assert.Equal("quinn", (await query.HelloAsync()).GetProperty("user").GetString());
        }

        await using (var sse = await SseClient.OpenAsync(baseAddress, "/sse?channel=room&access_token=" + token))
        {
            Assert.Equal("quinn", (await sse.ReceiveAsync("welcome")).Json.GetProperty("user").GetString());
        }

        await Eventually.TrueAsync(() => server.Output.Contains("closed", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the closes to be logged");
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var output = server.Output;
        Assert.Contains("trce", output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], output, StringComparison.Ordinal);
        Assert.DoesNotContain(invalid, output, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_follow_the_origin_policy_and_answer_cors_for_allowed_origins_only()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:AllowedOrigins:0"] = "https://app.example.com" });

        var (refused, answer) = await HttpStreamClient.TryOpenAsync(server.BaseAddress, r => r.Headers.Add("Origin", "https://evil.example.com"));
        Assert.Null(refused);
        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Equal("origin_forbidden", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var (sse, sseAnswer) = await SseClient.TryOpenAsync(server.BaseAddress, "/sse?channel=room", configure: r => r.Headers.Add("Origin", "https://evil.example.com"));
        Assert.Null(sse);
        Assert.Equal(HttpStatusCode.Forbidden, sseAnswer.StatusCode);

        await using var allowed = await HttpStreamClient.OpenAsync(server.BaseAddress, r => r.Headers.Add("Origin", "https://app.example.com"));
        Assert.Equal("https://app.example.com", allowed.Response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(allowed.Response.Headers.Contains("Access-Control-Allow-Credentials"));

        // A page on the allowed origin may POST with the stream's header; another page's browser is told nothing.
        foreach (var (origin, expected) in new[] { ("https://app.example.com", "https://app.example.com"), ("https://evil.example.com", null) })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/stream/send");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "broadcast-stream, content-type");
            using var response = await server.Http.SendAsync(preflight);
            var allowedOrigin = response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
            Assert.Equal(expected, allowedOrigin);
            if (expected is not null)
            {
                Assert.Contains("broadcast-stream", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
