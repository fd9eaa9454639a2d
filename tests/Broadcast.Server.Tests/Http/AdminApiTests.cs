using System.Net;
using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>The admin API behind the admin view: what it shows, and the key that guards it.</summary>
public sealed class AdminApiTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";

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

        // The API key of the channels API is a different secret and does not open the admin API.
        using var metrics = await server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task The_overview_shows_the_node_its_channels_and_live_totals()
    {
        await using var server = await RunningServer.StartAsync();
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
