using System.Net;
using System.Net.Http.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>
/// CORS on the HTTP API follows <c>Broadcast:Limits:AllowedOrigins</c>, as the WebSocket upgrade does:
/// preflights and actual answers (errors too) for allowed origins, nothing for others, never credentials.
/// </summary>
public sealed class CrossOriginTests
{
    private const string ApiKey = "cors-test-api-key-0123456789";

    private static Dictionary<string, string?> Settings(params string[] origins)
    {
        var settings = new Dictionary<string, string?> { ["Broadcast:Api:Key"] = ApiKey };
        for (var i = 0; i < origins.Length; i++)
        {
            settings[$"Broadcast:Limits:AllowedOrigins:{i}"] = origins[i];
        }

        return settings;
    }

    private static async Task<HttpResponseMessage> PreflightAsync(RunningServer server, string origin, string path = "/api/channels/room/publish")
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key, content-type");
        return await server.Http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> PublishAsync(RunningServer server, string origin, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/room/publish") { Content = JsonContent.Create(new { message = "from a page" }) };
        request.Headers.Add("Origin", origin);
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        return await server.Http.SendAsync(request);
    }

    private static string? AllowedOrigin(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;

    private static void AssertNoCredentials(HttpResponseMessage response) =>
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"), "credentials must never be allowed");

    [Fact]
    public async Task Listed_origins_get_preflights_and_readable_answers_errors_included_and_other_origins_get_nothing()
    {
        await using var server = await RunningServer.StartAsync(Settings("https://app.example.com"));

        using var preflight = await PreflightAsync(server, "https://app.example.com");
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("https://app.example.com", AllowedOrigin(preflight));
        var headers = preflight.Headers.GetValues("Access-Control-Allow-Headers").Single().Split(',', StringSplitOptions.TrimEntries);
        Assert.Superset(new HashSet<string>(["X-API-Key", "Authorization", "Content-Type"], StringComparer.OrdinalIgnoreCase), new HashSet<string>(headers, StringComparer.OrdinalIgnoreCase));
        Assert.Contains("POST", preflight.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        AssertNoCredentials(preflight);

        using var published = await PublishAsync(server, "https://app.example.com", ApiKey);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal("https://app.example.com", AllowedOrigin(published));
        Assert.Contains("Origin", published.Headers.Vary);
        AssertNoCredentials(published);

        // A refusal is readable by the page too, so it can say why.
        using var refused = await PublishAsync(server, "https://app.example.com", key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("https://app.example.com", AllowedOrigin(refused));

        // Local development is not an allowed origin once origins are listed, and a foreign one never is.
        foreach (var other in new[] { "http://localhost:5173", "https://evil.example" })
        {
            using var denied = await PreflightAsync(server, other);
            Assert.Null(AllowedOrigin(denied));
            using var answer = await PublishAsync(server, other, ApiKey);
            Assert.Null(AllowedOrigin(answer));
        }
    }

    [Fact]
    public async Task By_default_the_servers_own_origin_and_local_development_on_loopback_are_allowed_and_nothing_else()
    {
        await using var server = await RunningServer.StartAsync(Settings());
        foreach (var origin in new[] { $"http://{server.BaseAddress.Authority}", "http://localhost:5173" })
        {
            using var preflight = await PreflightAsync(server, origin);
            Assert.Equal(origin, AllowedOrigin(preflight));
        }

        using var foreign = await PreflightAsync(server, "https://evil.example");
        Assert.Null(AllowedOrigin(foreign));
    }

    [Fact]
    public async Task With_every_origin_allowed_any_page_may_call_the_API_without_credentials()
    {
        await using var server = await RunningServer.StartAsync(Settings("*"));
        using var preflight = await PreflightAsync(server, "https://anyone.example");
        Assert.Equal("*", AllowedOrigin(preflight));
        AssertNoCredentials(preflight);
        using var published = await PublishAsync(server, "https://anyone.example", ApiKey);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal("*", AllowedOrigin(published));
    }
}
