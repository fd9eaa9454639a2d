using System.Net;
using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>The admin API behind the admin view: off unless a key is set, what it shows, and the key that guards it.</summary>
public sealed class AdminApiTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";

    private static readonly Dictionary<string, string?> OpenForDevelopment = new() { ["Broadcast:Admin:AllowAnonymous"] = "true" };

    [Fact]
    public async Task Without_a_key_the_admin_API_is_off_and_the_page_says_how_to_enable_it()
    {
        // The shipped defaults, in Production (the tests' environment): no admin key.
        await using var server = await RunningServer.StartAsync();

        foreach (var path in new[] { "/api/admin/overview", "/api/admin/connections" })
        {
            using var answer = await server.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            var body = await answer.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("admin_disabled", body.GetProperty("code").GetString());
            Assert.Contains("Broadcast:Admin:Key", body.GetProperty("error").GetString(), StringComparison.Ordinal);
            // Not even the list of connections leaks out: the body is the refusal and nothing else.
            Assert.False(body.TryGetProperty("connections", out _));
        }

        // A key sent to a server that has none configured opens nothing either.
        using var guessed = new HttpRequestMessage(HttpMethod.Get, "/api/admin/connections");
        guessed.Headers.Add("X-Admin-Key", AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.SendAsync(guessed)).StatusCode);

        using var page = await server.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Broadcast__Admin__Key", html, StringComparison.Ordinal);
        Assert.Contains("AllowAnonymous", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_published_server_without_a_key_says_at_start_up_how_to_enable_the_admin_API()
    {
        await using var server = ServerProcess.Start();
        var baseAddress = await server.WaitUntilListeningAsync();
        await Eventually.TrueAsync(() => server.Output.Contains("Broadcast:Admin:Key", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the start-up line about the admin API");
        Assert.Contains("are off", server.Output, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = baseAddress };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/admin/connections")).StatusCode);
    }

    [Fact]
    public async Task Opened_for_development_the_admin_API_answers_without_a_key_and_a_configured_key_still_wins()
    {
        await using (var open = await RunningServer.StartAsync(OpenForDevelopment))
        {
            Assert.Equal(HttpStatusCode.OK, (await open.Http.GetAsync("/api/admin/connections")).StatusCode);
            // The page is the web app's (not built into the test's folder), never the notice that the view is off.
            using var page = await open.Http.GetAsync("/admin");
            Assert.DoesNotContain("admin-disabled", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await using var keyed = await RunningServer.StartAsync(new Dictionary<string, string?>(OpenForDevelopment) { ["Broadcast:Admin:Key"] = AdminKey });
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyed.Http.GetAsync("/api/admin/connections")).StatusCode);
    }

    [Fact]
    public async Task With_an_admin_key_configured_the_admin_API_requires_it()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Admin:Key"] = AdminKey });

        using var anonymous = await server.Http.GetAsync("/api/admin/overview");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("unauthorized", (await anonymous.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/admin/connections");
        wrong.Headers.Add("X-Admin-Key", AdminKey + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Http.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/admin/overview");
        right.Headers.Add("X-Admin-Key", AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(right)).StatusCode);

        // The page is the web app's (it asks for the key), not the notice that the view is off; /metrics needs no key.
        using var page = await server.Http.GetAsync("/admin");
        Assert.DoesNotContain("admin-disabled", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var metrics = await server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task The_overview_shows_the_node_its_channels_and_live_totals()
    {
        await using var server = await RunningServer.StartAsync(OpenForDevelopment);
        await using var publisher = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("hello");
        await receiver.ReceiveJsonAsync();

        JsonElement overview = default;
        await Eventually.TrueAsync(
            async () => (overview = await server.Http.GetFromJsonAsync<JsonElement>("/api/admin/overview")).GetProperty("metrics").GetProperty("messagesDelivered").GetInt64() == 1,
            TimeSpan.FromSeconds(20),
            "the delivery to show in the overview");
        var node = overview.GetProperty("node");
        Assert.StartsWith("n-", node.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, node.GetProperty("connections").GetInt32());
        Assert.True(node.GetProperty("ready").GetBoolean());
        Assert.Equal("Memory", node.GetProperty("engine").GetString());
        Assert.Single(overview.GetProperty("nodes").EnumerateArray());
        var channel = Assert.Single(overview.GetProperty("channels").EnumerateArray());
        Assert.Equal("events", channel.GetProperty("channel").GetString());
        Assert.Equal(2, channel.GetProperty("subscribers").GetInt32());
        var metrics = overview.GetProperty("metrics");
        Assert.Equal(1, metrics.GetProperty("messagesPublished").GetInt64());
        Assert.Equal(1, metrics.GetProperty("latencyCounts").EnumerateArray().Sum(c => c.GetInt64()));
        Assert.Equal(metrics.GetProperty("latencyBoundsSeconds").GetArrayLength() + 1, metrics.GetProperty("latencyCounts").GetArrayLength());

        var connections = await server.Http.GetFromJsonAsync<JsonElement>("/api/admin/connections");
        Assert.Equal(2, connections.GetProperty("total").GetInt32());
        foreach (var connection in connections.GetProperty("connections").EnumerateArray())
        {
            Assert.Equal("legacy", connection.GetProperty("protocol").GetString());
            Assert.Equal(1, connection.GetProperty("subscriptions").GetInt32());
            // Session ids are secrets of their clients: never shown.
            Assert.False(connection.TryGetProperty("session", out _));
        }
    }
}
