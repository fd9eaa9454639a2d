using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Http;

/// <summary>Every error answer of every HTTP endpoint has a body a program can read: <c>{"error", "code"}</c>.</summary>
public sealed class ErrorBodyTests
{
    private const string ApiKey = "error-body-api-key-0123456789";
    private const string AdminKey = "error-body-admin-key-0123456789";

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()), $"no error text in {body}");
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null, bool key = true)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (key)
        {
            request.Headers.Add("X-API-Key", ApiKey);
            request.Headers.Add("X-Admin-Key", AdminKey);
        }

        return request;
    }

    [Fact]
    public async Task Every_error_status_of_the_HTTP_endpoints_comes_with_an_error_and_a_code()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Api:Key"] = ApiKey,
            ["Broadcast:Admin:Key"] = AdminKey,
            ["Broadcast:MaxMessageBytes"] = "1024",
        });
        var http = server.Http;
        async Task CheckAsync(HttpRequestMessage request, HttpStatusCode status, string code)
        {
            using (request)
            using (var response = await http.SendAsync(request))
            {
                await AssertErrorAsync(response, status, code);
            }
        }

        // 400: the endpoints' own codes, and a value that does not bind at all.
        await CheckAsync(Request(HttpMethod.Get, "/api/channels/bad%20name/history"), HttpStatusCode.BadRequest, "channel_invalid");
        await CheckAsync(Request(HttpMethod.Get, "/api/channels/room/history?limit=0"), HttpStatusCode.BadRequest, "limit_invalid");
        await CheckAsync(Request(HttpMethod.Post, "/api/channels/room/publish", new StringContent("{", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "invalid_json");
        await CheckAsync(Request(HttpMethod.Get, "/api/admin/connections?limit=many"), HttpStatusCode.BadRequest, "bad_request");
        await CheckAsync(Request(HttpMethod.Get, "/ws/events"), HttpStatusCode.BadRequest, "websocket_required");
        // 401
        await CheckAsync(Request(HttpMethod.Get, "/api/channels", key: false), HttpStatusCode.Unauthorized, "unauthorized");
        // 404: no such path, no such API route, and what only looks like the WebSocket path.
        await CheckAsync(Request(HttpMethod.Get, "/no/such/page"), HttpStatusCode.NotFound, "not_found");
        await CheckAsync(Request(HttpMethod.Get, "/api/channels/room/nothing"), HttpStatusCode.NotFound, "not_found");
        await CheckAsync(Request(HttpMethod.Get, "/WS/EVENTS"), HttpStatusCode.NotFound, "not_found");
        // 405
        await CheckAsync(Request(HttpMethod.Post, "/health"), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        await CheckAsync(Request(HttpMethod.Delete, "/api/channels/room/publish"), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        // 413
        await CheckAsync(Request(HttpMethod.Post, "/api/channels/room/publish", JsonContent.Create(new { message = new string('x', 2000) })), HttpStatusCode.RequestEntityTooLarge, "body_too_large");
        // 415: it used to come with an empty body.
        await CheckAsync(Request(HttpMethod.Post, "/api/channels/room/publish", new StringContent("hello", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        // 503: a node that drains says so on /ready and refuses HTTP publishes.
        server.App.Services.GetRequiredService<ShutdownDrain>().Begin();
        await CheckAsync(Request(HttpMethod.Get, "/ready"), HttpStatusCode.ServiceUnavailable, "not_ready");
        await CheckAsync(Request(HttpMethod.Post, "/api/channels/room/publish", JsonContent.Create(new { message = "late" })), HttpStatusCode.ServiceUnavailable, "shutting_down");
    }

    [Fact]
    public async Task A_fault_of_the_server_is_a_500_with_a_code_and_nothing_internal()
    {
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["Broadcast:Admin:Key"] = AdminKey },
            configure: builder => builder.Services.AddSingleton<INodeDirectory>(new BrokenDirectory()));
        using var response = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/admin/overview"));
        await AssertErrorAsync(response, HttpStatusCode.InternalServerError, "internal_error");
        Assert.DoesNotContain(BrokenDirectory.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The server goes on serving.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task The_original_servers_documentation_paths_serve_the_OpenAPI_document_and_a_ReDoc_page_that_loads_nothing_from_elsewhere()
    {
        await using var server = await RunningServer.StartAsync();
        var original = await server.Http.GetStringAsync("/openapi.json");
        Assert.Equal(await server.Http.GetStringAsync("/openapi/v1.json"), original);
        Assert.True(JsonDocument.Parse(original).RootElement.GetProperty("paths").TryGetProperty("/api/connect-check", out _));

        using var redirect = await server.Http.GetAsync("/redoc");
        Assert.Equal(HttpStatusCode.OK, redirect.StatusCode);
        var page = await redirect.Content.ReadAsStringAsync();
        Assert.Contains("redoc-container", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http", page.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        var script = await server.Http.GetStringAsync("/redoc/index.js");
        Assert.Contains("\"/openapi.json\"", script, StringComparison.Ordinal);
        using var bundle = await server.Http.GetAsync("/redoc/redoc.standalone.js");
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
    }

    private sealed class BrokenDirectory : INodeDirectory
    {
        public const string Secret = "internal detail that must not leak";

        public ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken) => throw new InvalidOperationException(Secret);
    }
}
