using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Validates compact JWS tokens (RFC 7519) signed with HS256, RS256 or ES256, with the keys from
/// <see cref="AuthOptions"/>. Deliberately small and strict rather than a general JOSE library: only the
/// three algorithms, never <c>none</c>, no <c>crit</c> extensions, no keys named by the token itself
/// (<c>jku</c>, <c>jwk</c>, <c>x5u</c> are ignored), and <c>exp</c> is required so every connection
/// has a deadline. Failure reasons are for logs and never include the token.
/// </summary>
public sealed class TokenValidator
{
    /// <summary>Longer tokens are refused before any decoding, so a huge header cannot cost memory.</summary>
    public const int MaxTokenLength = 8192;

    /// <summary>More patterns than this in one claim are refused, so matching stays cheap.</summary>
    private const int MaxPatterns = 256;

    private readonly AuthOptions _options;
    private readonly TimeProvider _clock;
    private readonly byte[]? _hmacKey;
    private readonly RSAParameters? _rsaKey;
    private readonly ECParameters? _ecKey;

    public TokenValidator(IOptions<AuthOptions> options, TimeProvider clock)
    {
        _options = options.Value;
        _clock = clock;
        _hmacKey = _options.HmacSecret is { Length: > 0 } secret ? Encoding.UTF8.GetBytes(secret) : null;
        if (ReadConfiguredPem(_options) is { Length: > 0 } pem)
        {
            (_rsaKey, _ecKey) = ReadPublicKey(pem);
        }
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

    /// <summary>True when at least one algorithm has a key, i.e. some token can be valid.</summary>
    public bool HasKeys => _hmacKey is not null || _rsaKey is not null || _ecKey is not null;

    /// <summary>
    /// Reads a PEM public key as RSA or P-256 EC parameters; throws <see cref="CryptographicException"/> or
    /// <see cref="ArgumentException"/> when it is neither. The parameters are kept rather than the key
    /// objects, whose thread safety is not promised: each validation creates its own.
    /// </summary>
    internal static (RSAParameters? Rsa, ECParameters? Ec) ReadPublicKey(string pem)
    {
        pem = pem.Replace("\\n", "\n", StringComparison.Ordinal);
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            if (rsa.KeySize < 2048)
            {
                throw new CryptographicException("RSA keys for RS256 must have at least 2048 bits.");
            }

            return (rsa.ExportParameters(includePrivateParameters: false), null);
        }
        catch (CryptographicException) when (!pem.Contains("RSA", StringComparison.Ordinal))
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            if (ec.KeySize != 256)
            {
                throw new CryptographicException("EC keys for ES256 must be on the P-256 curve.");
            }

            return (null, ec.ExportParameters(includePrivateParameters: false));
        }
    }

    public TokenValidationResult Validate(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return TokenValidationResult.Invalid("malformed");
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return TokenValidationResult.Invalid("malformed");
        }

        if (Decode(parts[0]) is not { } headerBytes || Decode(parts[1]) is not { } payloadBytes || Decode(parts[2]) is not { } signature)
        {
            return TokenValidationResult.Invalid("malformed");
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            using var payload = JsonDocument.Parse(payloadBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object || payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return TokenValidationResult.Invalid("malformed");
            }

            var signed = Encoding.ASCII.GetBytes(token, 0, parts[0].Length + 1 + parts[1].Length);
            if (CheckHeader(header.RootElement) is { } headerFailure)
            {
                return TokenValidationResult.Invalid(headerFailure);
            }

            if (!VerifySignature(header.RootElement.GetProperty("alg").GetString()!, signed, signature))
            {
                return TokenValidationResult.Invalid("signature");
            }

            return ReadClaims(payload.RootElement);
        }
        catch (JsonException)
        {
            return TokenValidationResult.Invalid("malformed");
        }
        catch (CryptographicException)
        {
            // A signature of the wrong shape for the key: refused like any other bad signature.
            return TokenValidationResult.Invalid("signature");
        }
    }

    private static string? CheckHeader(JsonElement header)
    {
        if (!header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
        {
            return "alg";
        }

        if (header.TryGetProperty("crit", out _))
        {
            return "crit";
        }

        if (header.TryGetProperty("typ", out var typ)
            && !(typ.ValueKind == JsonValueKind.String && (string.Equals(typ.GetString(), "JWT", StringComparison.OrdinalIgnoreCase) || string.Equals(typ.GetString(), "at+jwt", StringComparison.OrdinalIgnoreCase))))
        {
            return "typ";
        }

        return null;
    }

    private bool VerifySignature(string alg, byte[] signed, byte[] signature)
    {
        switch (alg)
        {
            case "HS256" when _hmacKey is not null:
                Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
                HMACSHA256.HashData(_hmacKey, signed, mac);
                // Constant time, so the comparison does not tell an attacker how much of a forgery was right.
                return CryptographicOperations.FixedTimeEquals(mac, signature);
            case "RS256" when _rsaKey is { } rsaKey:
                using (var rsa = RSA.Create(rsaKey))
                {
                    return rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }

            case "ES256" when _ecKey is { } ecKey:
                if (signature.Length != 64)
                {
                    return false;
                }

                using (var ec = ECDsa.Create(ecKey))
                {
                    return ec.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                }

            default:
                // "none", other algorithms, and algorithms without a configured key: an HS256 token must
                // never be checked against a public key (the classic algorithm-confusion attack).
                return false;
        }
    }

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

        if (_options.Issuer is { Length: > 0 } issuer
            && !(claims.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String && iss.GetString() == issuer))
        {
            return TokenValidationResult.Invalid("issuer");
        }

        if (_options.Audience is { Length: > 0 } audience && !HasAudience(claims, audience))
        {
            return TokenValidationResult.Invalid("audience");
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

        return TokenValidationResult.Valid(new ClientPrincipal(user, subscribe, publish, expires.Value));
    }

    private static bool HasAudience(JsonElement claims, string audience)
    {
        if (!claims.TryGetProperty("aud", out var aud))
        {
            return false;
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => aud.GetString() == audience,
            JsonValueKind.Array => aud.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == audience),
            _ => false,
        };
    }

    /// <summary>A NumericDate claim (seconds since the epoch); absent is fine (null), any other type is not.</summary>
    private static bool TryReadTime(JsonElement claims, string name, out DateTimeOffset? time)
    {
        time = null;
        if (!claims.TryGetProperty(name, out var value))
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || seconds is < 0 or > 253_402_300_799)
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

    /// <summary>Strict base64url (no padding, no other characters); null when it is not.</summary>
    private static byte[]? Decode(string part)
    {
        if (part.Length == 0 || part.Contains('=', StringComparison.Ordinal) || !Base64Url.IsValid(part))
        {
            return part.Length == 0 ? [] : null;
        }

        var buffer = new byte[Base64Url.GetMaxDecodedLength(part.Length)];
        return Base64Url.TryDecodeFromChars(part, buffer, out var written) ? buffer[..written] : null;
    }
}
