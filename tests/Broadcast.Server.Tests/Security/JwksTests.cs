using System.Security.Cryptography;
using Broadcast.Testing;
using Microsoft.AspNetCore.Http;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// Keys from the issuer's JSON Web Key Set (<c>Broadcast:Auth:JwksUrl</c>), served by a real HTTP server the test
/// runs: rotation without a restart, no request flood from unknown key ids, cached keys while the endpoint is down.
/// </summary>
public sealed class JwksTests
{
    private const string JwksPath = "/.well-known/jwks.json";

    private static Dictionary<string, string?> Settings(TestBackend issuer, string minRefresh) => new()
    {
        ["Broadcast:Auth:Required"] = "true",
        ["Broadcast:Auth:JwksUrl"] = issuer.Url(JwksPath).ToString(),
        ["Broadcast:Auth:JwksMinRefreshInterval"] = minRefresh,
    };

    private static async Task<bool> AcceptedAsync(RunningServer server, string token) =>
        (await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, $"Authorization: Bearer {token}\r\n")).StartsWith("HTTP/1.1 101", StringComparison.Ordinal);

    private static Func<HttpContext, BackendRequest, Task> Serving(string jwks) => TestBackend.Json(jwks);

    [Fact]
    public async Task A_token_signed_with_a_rotated_in_key_is_accepted_without_a_restart_and_a_withdrawn_key_stops_working()
    {
        using var oldKey = RSA.Create(2048);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var issuer = await TestBackend.StartAsync(Serving(TestTokens.Jwks(("old", oldKey))));
        await using var server = await RunningServer.StartAsync(Settings(issuer, "00:00:01"));

        await Eventually.TrueAsync(() => AcceptedAsync(server, TestTokens.Rs256(oldKey, TestTokens.Claims("ann"), kid: "old")), TimeSpan.FromSeconds(20), "a token of the published key to be accepted");
        Assert.False(await AcceptedAsync(server, TestTokens.Es256(newKey, TestTokens.Claims("ann"), kid: "new")));

        // The issuer rotates: the new key is published, the old one withdrawn. No restart of the server.
        issuer.Handler = Serving(TestTokens.Jwks(("new", newKey)));
        await Eventually.TrueAsync(() => AcceptedAsync(server, TestTokens.Es256(newKey, TestTokens.Claims("ann"), kid: "new")), TimeSpan.FromSeconds(20), "a token of the rotated-in key to be accepted");
        Assert.False(await AcceptedAsync(server, TestTokens.Rs256(oldKey, TestTokens.Claims("ann"), kid: "old")));

        // The key set never makes other algorithms or a token's own keys acceptable.
        Assert.False(await AcceptedAsync(server, TestTokens.Hs256(TestTokens.Claims("ann"), TestTokens.Jwks(("new", newKey)))));
        Assert.False(await AcceptedAsync(server, TestTokens.Unsigned(TestTokens.Claims("ann"))));
    }

    [Fact]
    public async Task Tokens_with_unknown_key_ids_do_not_turn_into_a_flood_of_requests_to_the_issuer()
    {
        using var key = RSA.Create(2048);
        using var forger = RSA.Create(2048);
        await using var issuer = await TestBackend.StartAsync(Serving(TestTokens.Jwks(("k1", key))));
        await using var server = await RunningServer.StartAsync(Settings(issuer, "01:00:00"));
        await Eventually.TrueAsync(() => AcceptedAsync(server, TestTokens.Rs256(key, TestTokens.Claims("bo"), kid: "k1")), TimeSpan.FromSeconds(20), "the key set to be fetched");
        var fetched = issuer.CountRequests(JwksPath);
        Assert.Equal(1, fetched);

        // Fifty clients at once, each naming a key id the set does not have.
        var attempts = Enumerable.Range(0, 50).Select(i => AcceptedAsync(server, TestTokens.Rs256(forger, TestTokens.Claims("eve"), kid: $"made-up-{i}")));
        Assert.All(await Task.WhenAll(attempts), accepted => Assert.False(accepted));

        // At most one fetch per JwksMinRefreshInterval (an hour here), and the one at start-up was it.
        Assert.Equal(fetched, issuer.CountRequests(JwksPath));
        Assert.True(await AcceptedAsync(server, TestTokens.Rs256(key, TestTokens.Claims("bo"), kid: "k1")));
    }

    [Fact]
    public async Task While_the_issuers_endpoint_fails_or_is_down_the_cached_keys_keep_working()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var unknown = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var issuer = await TestBackend.StartAsync(Serving(TestTokens.Jwks(("k1", key))));
        await using var server = await RunningServer.StartAsync(Settings(issuer, "00:00:01"));
        var good = TestTokens.Es256(key, TestTokens.Claims("cy"), kid: "k1");
        await Eventually.TrueAsync(() => AcceptedAsync(server, good), TimeSpan.FromSeconds(20), "the key set to be fetched");

        // The endpoint answers errors, then nonsense, then a set without a usable key, then drops the connection:
        // each refresh fails, the keys stay.
        foreach (var answer in new Func<HttpContext, BackendRequest, Task>[]
        {
            (context, _) =>
            {
                context.Abort();
                return Task.CompletedTask;
            },
            (context, _) => TestBackend.WriteJsonAsync(context, "{\"error\":\"down\"}", StatusCodes.Status503ServiceUnavailable),
            (context, _) => context.Response.WriteAsync("<html>maintenance</html>"),
            TestBackend.Json("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\",\"k\":\"c2VjcmV0\"}]}"),
        })
        {
            issuer.Handler = answer;
            var before = issuer.CountRequests(JwksPath);
            // A token with a key id the set lacks makes the server ask the endpoint again.
            await Eventually.TrueAsync(
                async () => !await AcceptedAsync(server, TestTokens.Es256(unknown, TestTokens.Claims("cy"), kid: "rotated")) && issuer.CountRequests(JwksPath) > before,
                TimeSpan.FromSeconds(20),
                "the server to ask the failing endpoint again");
            Assert.True(await AcceptedAsync(server, good));
        }

        // Down altogether (connection refused).
        await issuer.StopAsync();
        Assert.False(await AcceptedAsync(server, TestTokens.Es256(unknown, TestTokens.Claims("cy"), kid: "rotated")));
        Assert.True(await AcceptedAsync(server, good));
    }
}
