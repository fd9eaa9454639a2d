using System.Net.WebSockets;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// The token issuer's clock and the server's differ: expiry and not-before are honoured with the stated
/// tolerance, <c>Broadcast:Auth:ClockSkew</c>, and no further.
/// </summary>
public sealed class ClockSkewTests
{
    private static async Task<string> UpgradeAsync(RunningServer server, Dictionary<string, object?> claims) =>
        await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, $"Authorization: Bearer {TestTokens.Hs256(claims)}\r\n");

    [Fact]
    public async Task Expiry_and_not_before_are_tolerated_within_the_clock_skew_and_no_further()
    {
        // Tokens come from an issuer whose clock is a few seconds off ours, in either direction.
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
            ["Broadcast:Auth:ClockSkew"] = "00:00:10",
            ["Broadcast:Auth:ExpiryGrace"] = "00:00:00",
        });

        var justExpired = TestTokens.Claims("behind", exp: TestTokens.ExpiresIn(TimeSpan.FromSeconds(-3)));
        var longExpired = TestTokens.Claims("way-behind", exp: TestTokens.ExpiresIn(TimeSpan.FromSeconds(-20)));
        var almostValid = TestTokens.Claims("ahead");
        almostValid["nbf"] = TestTokens.ExpiresIn(TimeSpan.FromSeconds(3));
        var notYetValid = TestTokens.Claims("way-ahead");
        notYetValid["nbf"] = TestTokens.ExpiresIn(TimeSpan.FromSeconds(20));

        Assert.StartsWith("HTTP/1.1 101", await UpgradeAsync(server, justExpired), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 101", await UpgradeAsync(server, almostValid), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 401", await UpgradeAsync(server, longExpired), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 401", await UpgradeAsync(server, notYetValid), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_accepted_thanks_to_the_skew_still_closes_the_connection_when_the_tolerance_runs_out()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
            ["Broadcast:Auth:ClockSkew"] = "00:00:05",
            ["Broadcast:Auth:ExpiryGrace"] = "00:00:00",
        });
        var expiredASecondAgo = TestTokens.Hs256(TestTokens.Claims("late", exp: TestTokens.ExpiresIn(TimeSpan.FromSeconds(-1))));
        await using var client = await TestClient.ConnectAsync(server.WebSocketUri, o => o.SetRequestHeader("Authorization", "Bearer " + expiredASecondAgo));

        var (close, _) = await client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("token expired", close.CloseDescription);
    }
}
