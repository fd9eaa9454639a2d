using System.Net;
using System.Net.WebSockets;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>Token claims at the edges of their range are answered like any other token: never a 500 or a 1011.</summary>
public sealed class TokenRangeTests
{
    /// <summary>The last second JWT NumericDate can name here: 9999-12-31T23:59:59Z.</summary>
    private const long LastSecondOfYear9999 = 253_402_300_799;

    private static readonly Dictionary<string, string?> Settings = new() { ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret };

    private static async Task<HttpStatusCode> UpgradeStatusAsync(Uri uri, string token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            return socket.HttpStatusCode;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    [Theory]
    [InlineData(LastSecondOfYear9999)]
    [InlineData(0)] // replaced by "a year from now": past the longest a timer can wait (about 49 days)
    public async Task A_token_expiring_far_in_the_future_is_accepted_at_the_upgrade_and_in_a_refresh(long exp)
    {
        exp = exp == 0 ? TestTokens.ExpiresIn(TimeSpan.FromDays(365)) : exp;
        await using var server = await RunningServer.StartAsync(Settings);
        var token = TestTokens.Hs256(TestTokens.Claims("alice", exp: exp));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(server.WebSocketUri, token));

        var socket = await TestClient.ConnectAsync(server.WebSocketUri, options =>
        {
            options.AddSubProtocol("broadcast.v2");
            options.SetRequestHeader("Authorization", "Bearer " + TestTokens.Hs256(TestTokens.Claims("alice")));
        });
        await using var alice = await ExtendedClient.FromConnectedAsync(socket);
        await alice.SendAsync(new { type = "auth", id = "a1", token });
        var authenticated = await alice.ReceiveAsync("authenticated");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(exp), DateTimeOffset.Parse(authenticated.GetProperty("expires").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        // Still open and served.
        var ack = await alice.PublishAsync("room", "still here", "m1");
        Assert.Equal(1, ack.GetProperty("offset").GetInt64());
    }
}
