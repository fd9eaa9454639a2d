using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>The original HTTP endpoints, their exact JSON shapes, the web app and the API docs.</summary>
public sealed class StatusEndpointTests
{
    [Fact]
    public async Task Health_reports_healthy_and_the_connection_count()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);

        using var response = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal(1, body.GetProperty("connections").GetInt32());
        Assert.Equal(2, body.EnumerateObject().Count());
    }

    [Fact]
    public async Task Root_answers_API_clients_with_the_service_status()
    {
        await using var server = await RunningServer.StartAsync();
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await server.Http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("online", body.GetProperty("status").GetString());
        Assert.Equal("WebSocket Broadcast Server", body.GetProperty("service").GetString());
        Assert.Equal(2, body.GetProperty("active_connections").GetInt32());

        // No Accept header at all (curl, scripts) is an API client too.
        var plain = await server.Http.GetFromJsonAsync<JsonElement>("/");
        Assert.Equal("online", plain.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Root_serves_the_web_app_to_browsers_with_its_assets()
    {
        var webApp = Directory.CreateTempSubdirectory("broadcast-webapp-");
        try
        {
            Directory.CreateDirectory(Path.Combine(webApp.FullName, "assets"));
            await File.WriteAllTextAsync(Path.Combine(webApp.FullName, "index.html"), "<!doctype html><title>Broadcast test page</title><script src=\"/assets/app-1234.js\"></script>");
            await File.WriteAllTextAsync(Path.Combine(webApp.FullName, "assets", "app-1234.js"), "console.log('app');");
            await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:WebAppPath"] = webApp.FullName });

            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
            using var page = await server.Http.SendAsync(request);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Broadcast test page", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var asset = await server.Http.GetAsync("/assets/app-1234.js");
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Contains("immutable", asset.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            webApp.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Docs_offer_an_interactive_UI_and_an_OpenAPI_document_that_describes_the_WebSocket_protocol()
    {
        await using var server = await RunningServer.StartAsync();

        using var ui = await server.Http.GetAsync("/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("swagger", await ui.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        using var redirect = await server.Http.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, redirect.StatusCode);

        var document = await server.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/ws/events", out _));
        Assert.True(paths.TryGetProperty("/health", out _));
        var description = document.GetProperty("info").GetProperty("description").GetString()!;
        foreach (var code in Broadcast.Server.Protocol.ProtocolErrors.All)
        {
            Assert.Contains(code.Code, description, StringComparison.Ordinal);
        }

        Assert.Contains("1009", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_GET_on_the_WebSocket_path_gets_a_clear_400()
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.Http.GetAsync("/ws/events");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("websocket_required", body.GetProperty("code").GetString());
    }
}
