using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>The token settings must be usable: keys that can verify, and a server that requires tokens must be able to accept one.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        ValidateAuth(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The keys must be usable, and a server that requires tokens must be able to accept one.</summary>
    private static void ValidateAuth(AuthOptions auth, List<string> failures)
    {
        const string Usable = "PEM of an RSA key of 2048 bits or more, or a P-256 EC key";
        var hasPem = !string.IsNullOrEmpty(auth.PublicKeyPem);
        var hasFile = !string.IsNullOrEmpty(auth.PublicKeyPemFile);
        if (hasPem && hasFile)
        {
            failures.Add("Broadcast:Auth:PublicKeyPem and Broadcast:Auth:PublicKeyPemFile are both set; set only one of them.");
        }
        else if (hasPem)
        {
            if (CheckPublicKey(auth.PublicKeyPem!) is { } problem)
            {
                failures.Add($"Broadcast:Auth:PublicKeyPem is not a usable public key ({Usable}): {problem}");
            }
        }
        else if (hasFile)
        {
            var path = auth.PublicKeyPemFile!;
            string? pem = null;
            try
            {
                pem = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                failures.Add($"Broadcast:Auth:PublicKeyPemFile points to '{path}', which does not exist (full path: {Path.GetFullPath(path)}).");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                failures.Add($"Broadcast:Auth:PublicKeyPemFile '{path}' cannot be read: {ex.Message}");
            }

            if (pem is not null && CheckPublicKey(pem) is { } problem)
            {
                failures.Add($"Broadcast:Auth:PublicKeyPemFile '{path}' does not hold a usable public key ({Usable}): {problem}");
            }
        }

        var hasJwks = !string.IsNullOrEmpty(auth.JwksUrl);
        if (hasJwks && !(Uri.TryCreate(auth.JwksUrl, UriKind.Absolute, out var jwks) && (jwks.Scheme == Uri.UriSchemeHttps || jwks.Scheme == Uri.UriSchemeHttp)))
        {
            failures.Add($"Broadcast:Auth:JwksUrl '{auth.JwksUrl}' is not an absolute http:// or https:// URL (e.g. https://issuer.example/.well-known/jwks.json).");
        }

        if (auth.Required && string.IsNullOrEmpty(auth.HmacSecret) && !hasPem && !hasFile && !hasJwks)
        {
            failures.Add("Broadcast:Auth:Required is true but none of Broadcast:Auth:HmacSecret, Broadcast:Auth:PublicKeyPem, Broadcast:Auth:PublicKeyPemFile and Broadcast:Auth:JwksUrl is set, so no token could ever be valid.");
        }
    }

    /// <summary>Why <paramref name="pem"/> is not a usable public key, or null when it is.</summary>
    private static string? CheckPublicKey(string pem)
    {
        // A private key would work (its public half is read from it), but then the server holds the
        // issuer's signing key: whoever reads its configuration can mint tokens. Refused, not tolerated.
        if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            return "it is a private key; give the issuer's public key (-----BEGIN PUBLIC KEY-----), so this server holds nothing that can sign tokens";
        }

        try
        {
            TokenValidator.ReadPublicKey(pem);
            return null;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return ex.Message;
        }
    }
}
