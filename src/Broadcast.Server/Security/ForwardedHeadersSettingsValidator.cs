using System.Net;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>Each proxy an IP address and each network a CIDR prefix: a host name or a typo would trust nobody without a word.</summary>
internal sealed class ForwardedHeadersSettingsValidator : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        var failures = new List<string>();
        failures.AddRange(options.KnownProxies
            .Where(proxy => !IPAddress.TryParse(proxy, out _))
            .Select(proxy => $"{ForwardedHeadersSettings.Section}:KnownProxies has '{proxy}', which is not an IP address such as 10.0.0.5 or ::1."));
        failures.AddRange(options.KnownNetworks
            .Where(network => !IPNetwork.TryParse(network, out _))
            .Select(network => $"{ForwardedHeadersSettings.Section}:KnownNetworks has '{network}', which is not a network such as 10.0.0.0/24 or fd00::/64."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
