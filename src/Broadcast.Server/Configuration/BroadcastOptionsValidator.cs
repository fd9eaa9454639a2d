using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Configuration;

/// <summary>Rules that span several settings, which data annotations cannot express.</summary>
internal sealed class BroadcastOptionsValidator : IValidateOptions<BroadcastOptions>
{
    public ValidateOptionsResult Validate(string? name, BroadcastOptions options)
    {
        var failures = new List<string>();
        if (options.WebAppPath is { Length: > 0 } path && !Directory.Exists(path))
        {
            failures.Add($"{BroadcastOptions.SectionName}:{nameof(BroadcastOptions.WebAppPath)} points to '{path}', which is not a folder.");
        }

        if (!Enum.IsDefined(options.Engine))
        {
            failures.Add("Broadcast:Engine must be Memory or Redis.");
        }

        if (options.Engine == Engines.EngineKind.Redis && string.IsNullOrWhiteSpace(options.Redis.Configuration))
        {
            failures.Add("Broadcast:Redis:Configuration is required when Broadcast:Engine is Redis (for example 'localhost:6379').");
        }

        if (!string.IsNullOrWhiteSpace(options.Redis.Configuration) && CheckRedisConfiguration(options.Redis.Configuration) is { } redisProblem)
        {
            failures.Add($"Broadcast:Redis:Configuration is not a usable StackExchange.Redis configuration string (for example 'localhost:6379' or 'redis1:6379,password=…'): {redisProblem}");
        }

        ValidateSection(options.Channels, failures);
        ValidateSection(options.Limits, failures);
        ValidateAllowedHosts(options.Limits, failures);
        ValidateSection(options.Redis, failures);
        ValidateSection(options.Memory, failures);
        ValidateSection(options.Api, failures);
        ValidateSection(options.Auth, failures);
        ValidateAuth(options.Auth, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Each entry a host name (optionally <c>*.</c> for its subdomains): no scheme, port or path, which would never match.</summary>
    private static void ValidateAllowedHosts(Security.LimitsOptions limits, List<string> failures)
    {
        foreach (var host in limits.AllowedHosts)
        {
            if (!Security.OriginPolicy.IsHostPattern(host))
            {
                failures.Add($"Broadcast:Limits:AllowedHosts has '{host}', which is not a host name such as chat.example.com or *.example.com (no scheme, port or path).");
            }
        }
    }

    /// <summary>The keys must be usable, and a server that requires tokens must be able to accept one.</summary>
    private static void ValidateAuth(Security.AuthOptions auth, List<string> failures)
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

        if (auth.Required && string.IsNullOrEmpty(auth.HmacSecret) && !hasPem && !hasFile)
        {
            failures.Add("Broadcast:Auth:Required is true but none of Broadcast:Auth:HmacSecret, Broadcast:Auth:PublicKeyPem and Broadcast:Auth:PublicKeyPemFile is set, so no token could ever be valid.");
        }
    }

    /// <summary>
    /// Why the Redis client would refuse <paramref name="configuration"/>, or null. Found here, not when the node
    /// first connects in the background, where it would leave a node that runs but can never reach Redis.
    /// </summary>
    private static string? CheckRedisConfiguration(string configuration)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints.Count == 0 ? "it names no host:port" : null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
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
            Security.TokenValidator.ReadPublicKey(pem);
            return null;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return ex.Message;
        }
    }

    /// <summary>Data annotations do not recurse into nested sections, so validate each one here.</summary>
    private static void ValidateSection(object section, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => r.ErrorMessage ?? "invalid setting"));
        }
    }
}
