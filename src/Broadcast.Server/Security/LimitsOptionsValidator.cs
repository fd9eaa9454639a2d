using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>Each <c>AllowedHosts</c> entry a host name (optionally <c>*.</c> for its subdomains): no scheme, port or path, which would never match.</summary>
internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var failures = options.AllowedHosts
            .Where(host => !OriginPolicy.IsHostPattern(host))
            .Select(host => $"Broadcast:Limits:AllowedHosts has '{host}', which is not a host name such as chat.example.com or *.example.com (no scheme, port or path).")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
