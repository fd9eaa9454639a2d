namespace Broadcast.Server.Backend.Proxies;

/// <summary>The publish proxy (<c>Broadcast:Proxy:Publish</c>). Asked when a client publishes to a channel matching <see cref="Channels"/>: the backend refuses, allows, or replaces the message.</summary>
public sealed class PublishProxyOptions : ProxyEndpointOptions
{
    public const string Section = "Broadcast:Proxy:Publish";

    /// <summary>Comma-separated channel patterns the backend is asked about (<c>*</c> matches any run of characters); other channels keep the token's patterns.</summary>
    [System.ComponentModel.DataAnnotations.RegularExpression(ProxyEndpointOptions.PatternListRegex)]
    public string Channels { get; set; } = "*";

    internal override ProxyKind Kind => ProxyKind.Publish;
}
