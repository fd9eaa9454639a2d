using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Broadcast.Server.Tests.Security;

/// <summary>Mints JWS compact tokens for tests, independently of the server's validator.</summary>
internal static class TestTokens
{
    public const string Secret = "a-test-secret-of-more-than-32-bytes-0123456789";

    public static long ExpiresIn(TimeSpan span) => DateTimeOffset.UtcNow.Add(span).ToUnixTimeSeconds();

    /// <summary>Claims for user <paramref name="sub"/>, valid for an hour unless <paramref name="exp"/> says otherwise.</summary>
    public static Dictionary<string, object?> Claims(string sub, string[]? subscribe = null, string[]? publish = null, long? exp = null) => new()
    {
        ["sub"] = sub,
        ["exp"] = exp ?? ExpiresIn(TimeSpan.FromHours(1)),
        ["subscribe"] = subscribe ?? ["*"],
        ["publish"] = publish ?? ["*"],
        // Makes every token unique, so a test can look for it in logs.
        ["jti"] = Guid.NewGuid().ToString("N"),
    };

    public static string Hs256(Dictionary<string, object?> claims, string secret = Secret) =>
        Sign("HS256", claims, data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data));

    public static string Rs256(RSA key, Dictionary<string, object?> claims, string? kid = null) =>
        Sign("RS256", claims, data => key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), kid);

    public static string Es256(ECDsa key, Dictionary<string, object?> claims, string? kid = null) =>
        Sign("ES256", claims, data => key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation), kid);

    /// <summary>A JSON Web Key Set (RFC 7517) publishing the public halves of <paramref name="keys"/> under their key ids.</summary>
    public static string Jwks(params (string Kid, AsymmetricAlgorithm Key)[] keys) => JsonSerializer.Serialize(new
    {
        keys = keys.Select(entry => entry.Key switch
        {
            RSA rsa => (object)RsaJwk(entry.Kid, rsa.ExportParameters(false)),
            ECDsa ec => EcJwk(entry.Kid, ec.ExportParameters(false)),
            _ => throw new ArgumentException("RSA or ECDsa keys only"),
        }),
    });

    private static object RsaJwk(string kid, RSAParameters p) => new { kty = "RSA", kid, use = "sig", alg = "RS256", n = Base64Url.EncodeToString(p.Modulus), e = Base64Url.EncodeToString(p.Exponent) };

    private static object EcJwk(string kid, ECParameters p) => new { kty = "EC", kid, use = "sig", crv = "P-256", x = Base64Url.EncodeToString(p.Q.X), y = Base64Url.EncodeToString(p.Q.Y) };

    /// <summary>An unsigned token (<c>alg: none</c>), which must never be accepted.</summary>
    public static string Unsigned(Dictionary<string, object?> claims) => Sign("none", claims, _ => []);

    private static string Sign(string alg, Dictionary<string, object?> claims, Func<byte[], byte[]> sign, string? kid = null)
    {
        var header = Base64Url.EncodeToString(kid is null
            ? JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" })
            : JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT", kid }));
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signed = header + "." + payload;
        return signed + "." + Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(signed)));
    }
}
