using System.Net;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>The proxies of <see cref="ForwardedHeadersSettings"/>, parsed: is this peer one of them?</summary>
public sealed class TrustedProxies
{
    public TrustedProxies(IOptions<ForwardedHeadersSettings> options)
    {
        Addresses = [.. options.Value.KnownProxies.Select(IPAddress.Parse).Select(Normalize)];
        Networks = [.. options.Value.KnownNetworks.Select(network => IPNetwork.Parse(network))];
    }

    public IReadOnlyList<IPAddress> Addresses { get; }

    public IReadOnlyList<IPNetwork> Networks { get; }

    /// <summary>Whether any proxy is configured; without one, forwarded headers are never read.</summary>
    public bool Any => Addresses.Count > 0 || Networks.Count > 0;

    public bool Contains(IPAddress? peer)
    {
        if (peer is null || !Any)
        {
            return false;
        }

        var address = Normalize(peer);
        return Addresses.Contains(address) || Networks.Any(network => network.Contains(address));
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
