using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broadcast.Server.Security;

/// <summary>
/// Validates compact JWS tokens (RFC 7519) signed with HS256, RS256 or ES256, with the keys from
/// <see cref="AuthOptions"/> (a secret, a public key) and from the issuer's JSON Web Key Set
/// (<see cref="JwksCache"/>). The signature, algorithm, issuer and audience are checked by
/// Microsoft.IdentityModel (lifetime here, on the server's clock); this class keeps the server's stricter rules around it: only the three
/// algorithms, never <c>none</c>, no <c>crit</c> extensions, no keys named by the token itself (<c>jku</c>,
/// <c>jwk</c>, <c>x5u</c> are ignored), an HS256 token never checked against a public key, and <c>exp</c>
/// required, a number up to the last second of year 9999, so every connection has a deadline. Failure
/// reasons are for logs and never include the token.
/// </summary>
public sealed class TokenValidator
{
    /// <summary>Longer tokens are refused before any decoding, so a huge header cannot cost memory.</summary>
    public const int MaxTokenLength = 8192;

    /// <summary>More patterns than this in one claim are refused, so matching stays cheap.</summary>
    private const int MaxPatterns = 256;

    /// <summary>The last second a JWT NumericDate may name here: 9999-12-31T23:59:59Z.</summary>
    private const long LastSecond = 253_402_300_799;

    /// <summary>The only algorithms accepted, whatever a token or a key set says.</summary>
    public static readonly IReadOnlyList<string> Algorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    private readonly AuthOptions _options;
    private readonly TimeProvider _clock;
    private readonly JwksCache _jwks;
    private readonly SecurityKey[] _configuredKeys;

    // MapInboundClaims off: claims keep their JWT names (sub, not a .NET claim type URI).
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public TokenValidator(IOptions<AuthOptions> options, TimeProvider clock, JwksCache jwks)
    {
        _options = options.Value;
        _clock = clock;
        _jwks = jwks;
        var keys = new List<SecurityKey>();
        if (_options.HmacSecret is { Length: > 0 } secret)
        {
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)));
        }

        if (ReadConfiguredPem(_options) is { Length: > 0 } pem)
        {
            keys.Add(ReadPublicKey(pem) switch
            {
                (RSAParameters rsa, _) => new RsaSecurityKey(rsa),
                (_, ECParameters ec) => new ECDsaSecurityKey(ECDsa.Create(ec)),
                _ => throw new CryptographicException("The public key is neither RSA nor EC."),
            });
        }

        _configuredKeys = [.. keys];
    }

    /// <summary>
    /// The configured public key's PEM text: <see cref="AuthOptions.PublicKeyPem"/>, or the content of
    /// <see cref="AuthOptions.PublicKeyPemFile"/>; null when neither is set. Reading the file may throw
    /// (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>); start-up validation has checked it.
    /// </summary>
    internal static string? ReadConfiguredPem(AuthOptions options) =>
        options.PublicKeyPem is { Length: > 0 } pem ? pem
        : options.PublicKeyPemFile is { Length: > 0 } path ? File.ReadAllText(path)
        : null;

    /// <summary>True when some token can be valid: a key is configured, or keys come from a key set.</summary>
    public bool HasKeys => _configuredKeys.Length > 0 || _jwks.IsConfigured;

    /// <summary>
    /// Reads a PEM public key as RSA or P-256 EC parameters; throws <see cref="CryptographicException"/> or
    /// <see cref="ArgumentException"/> when it is neither.
    /// </summary>
    /// <remarks>
    /// Which kind of key it is comes from what the PEM imports as, never from its text: the base64 of an EC key
    /// contains the letters "RSA" about once in 2,300 keys (a start-up that failed once in a while).
    /// </remarks>
    internal static (RSAParameters? Rsa, ECParameters? Ec) ReadPublicKey(string pem)
    {
        pem = pem.Replace("\\n", "\n", StringComparison.Ordinal);
        using var rsa = RSA.Create();
        CryptographicException? notRsa = null;
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            notRsa = ex;
        }

        if (notRsa is null)
        {
            if (rsa.KeySize < 2048)
            {
                throw new CryptographicException("RSA keys for RS256 must have at least 2048 bits.");
            }

            return (rsa.ExportParameters(includePrivateParameters: false), null);
        }

        using var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
        }
        catch (CryptographicException notEc)
        {
            throw new CryptographicException($"It is neither an RSA key ({notRsa.Message}) nor an EC key ({notEc.Message}).", notEc);
        }

        if (ec.KeySize != 256)
        {
            throw new CryptographicException("EC keys for ES256 must be on the P-256 curve.");
        }

        return (null, ec.ExportParameters(includePrivateParameters: false));
    }

    /// <summary>
    /// Validates <paramref name="token"/>. A token naming a key id (<c>kid</c>) that no key has may make the key
    /// set be fetched again first (at most once per <see cref="AuthOptions.JwksMinRefreshInterval"/>): the
    /// issuer rotated its keys.
    /// </summary>
    public async ValueTask<TokenValidationResult> ValidateAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength || token.Contains('=', StringComparison.Ordinal))
        {
            return TokenValidationResult.Invalid("malformed");
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException or JsonException or FormatException)
        {
            return TokenValidationResult.Invalid("malformed");
        }

        if (jwt.IsEncrypted)
        {
            return TokenValidationResult.Invalid("malformed");
        }

        if (CheckHeader(jwt) is { } headerFailure)
        {
            return TokenValidationResult.Invalid(headerFailure);
        }

        if (jwt.Kid is { Length: > 0 } kid && _jwks.IsConfigured && !_jwks.HasKey(kid))
        {
            await _jwks.RefreshForUnknownKeyAsync(cancellationToken);
        }

        var result = await _handler.ValidateTokenAsync(jwt, Parameters());
        if (!result.IsValid)
        {
            return TokenValidationResult.Invalid(FailureOf(result.Exception));
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.EncodedPayload));
            return payload.RootElement.ValueKind == JsonValueKind.Object ? ReadClaims(payload.RootElement) : TokenValidationResult.Invalid("malformed");
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return TokenValidationResult.Invalid("malformed");
        }
    }

    private TokenValidationParameters Parameters() => new()
    {
        // Keys are the configured ones and the key set's, never one the token names (jku, jwk, x5u).
        IssuerSigningKeys = [.. _configuredKeys, .. _jwks.Keys],
        // A token whose kid matches no key is tried against every key: a configured key has no kid.
        TryAllIssuerSigningKeys = true,
        ValidAlgorithms = Algorithms,
        RequireSignedTokens = true,
        // The lifetime is checked below, on this server's clock (TimeProvider) and to the second, as before.
        ValidateLifetime = false,
        RequireExpirationTime = false,
        ValidateIssuer = _options.Issuer is { Length: > 0 },
        ValidIssuer = _options.Issuer,
        ValidateAudience = _options.Audience is { Length: > 0 },
        ValidAudience = _options.Audience,
        // The library pairs each algorithm with its key type: an HS256 token is only ever checked with the
        // secret, never with a public key's bytes (the classic algorithm-confusion attack).
        ValidateIssuerSigningKey = false,
        ValidateTokenReplay = false,
        LogValidationExceptions = false,
    };

    private static string? CheckHeader(JsonWebToken jwt)
    {
        if (!jwt.TryGetHeaderValue<string>("alg", out var alg) || !Algorithms.Contains(alg))
        {
            return "alg";
        }

        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return "crit";
        }

        if (jwt.TryGetHeaderValue<object>("typ", out var typ)
            && !(typ is string text && (string.Equals(text, "JWT", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "at+jwt", StringComparison.OrdinalIgnoreCase))))
        {
            return "typ";
        }

        return null;
    }

    /// <summary>Why the library refused the token, as the log names it.</summary>
    private static string FailureOf(Exception? failure) => failure switch
    {
        SecurityTokenInvalidIssuerException => "issuer",
        SecurityTokenInvalidAudienceException => "audience",
        SecurityTokenInvalidAlgorithmException => "alg",
        SecurityTokenSignatureKeyNotFoundException => "signature",
        SecurityTokenInvalidSignatureException => "signature",
        SecurityTokenMalformedException => "malformed",
        _ => "invalid",
    };

    /// <summary>
    /// The lifetime and the server's own claims, read after the library accepted the signature, issuer and
    /// audience; stricter on types than the library is (<c>exp</c> must be a number, up to year 9999).
    /// </summary>
    private TokenValidationResult ReadClaims(JsonElement claims)
    {
        var now = _clock.GetUtcNow();
        if (!TryReadTime(claims, "exp", out var expires) || expires is null)
        {
            return TokenValidationResult.Invalid("exp");
        }

        // Subtracted from now, not added to exp: exp may be as late as the last second of year 9999.
        if (now - _options.ClockSkew > expires.Value)
        {
            return TokenValidationResult.Invalid("expired");
        }

        if (!TryReadTime(claims, "nbf", out var notBefore) || (notBefore is { } nbf && now + _options.ClockSkew < nbf))
        {
            return TokenValidationResult.Invalid("nbf");
        }

        string? user = null;
        if (claims.TryGetProperty("sub", out var sub))
        {
            if (sub.ValueKind != JsonValueKind.String || sub.GetString() is not { Length: > 0 and <= 256 } subject)
            {
                return TokenValidationResult.Invalid("sub");
            }

            user = subject;
        }

        if (ReadPatterns(claims, "subscribe") is not { } subscribe || ReadPatterns(claims, "publish") is not { } publish)
        {
            return TokenValidationResult.Invalid("permissions");
        }

        if (ReadPatterns(claims, "channels") is not { } channels)
        {
            return TokenValidationResult.Invalid("channels");
        }

        // The channels claim names channels the server subscribes the connection to; a name that is not a
        // channel is answered with channel_invalid when it would be subscribed to (names are checked there).
        return TokenValidationResult.Valid(new ClientPrincipal(user, subscribe, publish, expires.Value) { Channels = channels.Patterns });
    }

    /// <summary>A NumericDate claim (seconds since the epoch); absent is fine (null), any other type or range is not.</summary>
    private static bool TryReadTime(JsonElement claims, string name, out DateTimeOffset? time)
    {
        time = null;
        if (!claims.TryGetProperty(name, out var value))
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || seconds is < 0 or > LastSecond)
        {
            return false;
        }

        time = DateTimeOffset.UnixEpoch.AddSeconds(Math.Floor(seconds));
        return true;
    }

    /// <summary>An array of pattern strings, or one string; absent grants nothing. Null: the claim is malformed.</summary>
    private static ChannelPatterns? ReadPatterns(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value))
        {
            return ChannelPatterns.None;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return new ChannelPatterns([value.GetString()!]);
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxPatterns)
        {
            return null;
        }

        var patterns = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            patterns.Add(item.GetString()!);
        }

        return new ChannelPatterns(patterns);
    }
}
