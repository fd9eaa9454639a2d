using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>A proxy's settings must be usable: an absolute http(s) URL, a timeout and retries in range, valid channel patterns; each message names the proxy's own key.</summary>
internal sealed class ProxyEndpointOptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : ProxyEndpointOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = new List<string>();
        var section = options.SectionName;
        if (options.Url is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            failures.Add($"{section}:Url '{url}' is not an absolute http:// or https:// URL.");
        }

        var min = TimeSpan.Parse(ProxyEndpointOptions.MinTimeout, CultureInfo.InvariantCulture);
        var max = TimeSpan.Parse(ProxyEndpointOptions.MaxTimeout, CultureInfo.InvariantCulture);
        if (options.Timeout < min || options.Timeout > max)
        {
            failures.Add($"{section}:Timeout must be between {ProxyEndpointOptions.MinTimeout} and {ProxyEndpointOptions.MaxTimeout}.");
        }

        if (options.Retries is < 0 or > ProxyEndpointOptions.MaxRetries)
        {
            failures.Add($"{section}:Retries must be between 0 and {ProxyEndpointOptions.MaxRetries}.");
        }

        if (!Enum.IsDefined(options.OnFailure))
        {
            failures.Add($"{section}:OnFailure must be Deny or Allow.");
        }

        var patterns = options switch
        {
            SubscribeProxyOptions subscribe => subscribe.Channels,
            PublishProxyOptions publish => publish.Channels,
            _ => "",
        };
        if (!Regex.IsMatch(patterns, ProxyEndpointOptions.PatternListRegex, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            failures.Add($"{section}:Channels must be comma-separated channel patterns (A-Z a-z 0-9 _ - . : @ / and *).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
