using System.Net;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>Who may connect and how many: refused before the upgrade, with a status a client can act on.</summary>
public sealed class OriginAndConnectionLimitTests
{
    private static string Origin(string origin) => $"Origin: {origin}\r\n";

    [Fact]
    public async Task A_foreign_origin_is_refused_with_403_and_the_own_origin_and_local_development_are_accepted()
    {
        await using var server = await RunningServer.StartAsync();
        var own = $"http://{server.BaseAddress.Authority}";

        Assert.StartsWith("HTTP/1.1 403", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("https://evil.example")), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin(own)), StringComparison.Ordinal);
        // A Vite dev server on another local port, while the server is reached on loopback.
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("http://localhost:5173")), StringComparison.Ordinal);
        // No Origin: not a browser.
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_allow_list_only_listed_origins_may_connect()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:AllowedOrigins:0"] = "https://app.example.com" });
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("https://app.example.com")), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 403", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("http://localhost:5173")), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 403", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, Origin("https://app.example.com.evil.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Past_the_connection_limit_newcomers_get_503_with_Retry_After_and_the_others_keep_being_served()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxConnections"] = "3" });
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        var third = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        var refused = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress);
        Assert.StartsWith("HTTP/1.1 503", refused, StringComparison.Ordinal);
        Assert.Contains("Retry-After: 5", refused, StringComparison.OrdinalIgnoreCase);

        await first.SendMessageAsync("still here");
        Assert.Equal("still here", (await second.ReceiveJsonAsync()).GetProperty("message").GetString());

        // A place freed is a place taken.
        await third.DisposeAsync();
        await server.WaitForConnectionCountAsync(2);
        await Eventually.TrueAsync(
            async () => (await RawWebSocket.UpgradeResponseAsync(server.BaseAddress)).StartsWith("HTTP/1.1 101", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            "a newcomer to be admitted again");
    }

    [Fact]
    public async Task Past_the_per_address_limit_that_address_gets_429_while_other_addresses_connect()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Limits:MaxConnectionsPerAddress"] = "2",
            ["Broadcast:Limits:RetryAfterSeconds"] = "7",
        });
        await using var a1 = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await using var a2 = await RawWebSocket.ConnectAsync(server.BaseAddress);
        var refused = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress);
        Assert.StartsWith("HTTP/1.1 429", refused, StringComparison.Ordinal);
        Assert.Contains("Retry-After: 7", refused, StringComparison.OrdinalIgnoreCase);

        await using var other = await RawWebSocket.ConnectAsync(server.BaseAddress, localAddress: IPAddress.Parse("127.0.0.2"));
        await other.SendTextAsync("{\"message\":\"from another address\"}");
        var frame = await a1.ReceiveFrameAsync();
        Assert.NotNull(frame);
        Assert.Contains("from another address", frame.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reconnect_storm_is_admitted_at_the_configured_rate_and_the_rest_are_told_to_retry()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxUpgradesPerSecond"] = "20" });
        await using var served = await server.ConnectAsync();
        await using var other = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        // 100 clients at once: about one second's worth (20) gets in, the rest get 503 with Retry-After.
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => RawWebSocket.UpgradeResponseAsync(server.BaseAddress)));
        var admitted = responses.Count(r => r.StartsWith("HTTP/1.1 101", StringComparison.Ordinal));
        var refused = responses.Where(r => r.StartsWith("HTTP/1.1 503", StringComparison.Ordinal)).ToList();
        Assert.InRange(admitted, 1, 60); // 18 tokens left, plus what refills while 100 handshakes are served
        Assert.Equal(100 - admitted, refused.Count);
        Assert.All(refused, r => Assert.Contains("Retry-After: 5", r, StringComparison.OrdinalIgnoreCase));

        // The connections already served were not disturbed.
        await other.SendMessageAsync("after the storm");
        Assert.Equal("after the storm", (await served.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task By_default_the_total_limit_follows_the_open_file_limit()
    {
        await using var server = await RunningServer.StartAsync();
        var limiter = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Broadcast.Server.Security.ConnectionLimiter>(server.App.Services);
        var softLimit = int.Parse(File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
        // Less the descriptors already open (loaded assemblies, sockets: a few hundred in a test host) and the reserve.
        Assert.InRange(limiter.MaxConnections, softLimit - 384 - 2000, softLimit - 384 - 100);
        Assert.True(limiter.TransportLimit > limiter.MaxConnections && limiter.TransportLimit < softLimit - 100);
    }
}
