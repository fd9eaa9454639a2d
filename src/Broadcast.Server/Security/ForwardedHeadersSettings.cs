namespace Broadcast.Server.Security;

/// <summary>
/// Which reverse proxies (nginx, a load balancer) this node believes about the client: the
/// <c>Broadcast:ForwardedHeaders</c> section. Only a connection from one of them may say, with
/// <c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>, who the client is and which
/// address it used; from anyone else those headers are ignored (a client could otherwise pick any address
/// and escape every per-address limit). Empty (the default): no proxy is believed.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "Broadcast:ForwardedHeaders";

    /// <summary>Addresses of the proxies in front of this node (<c>10.0.0.5</c>, <c>::1</c>).</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, in CIDR notation (<c>10.0.0.0/24</c>, <c>fd00::/64</c>).</summary>
    public string[] KnownNetworks { get; set; } = [];
}
