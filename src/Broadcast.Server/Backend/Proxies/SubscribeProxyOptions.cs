namespace Broadcast.Server.Backend.Proxies;

/// <summary>The subscribe proxy (<c>Broadcast:Proxy:Subscribe</c>). Asked when a client subscribes to a channel matching <see cref="Channels"/>: the backend allows or refuses, instead of the token's patterns.</summary>
public sealed class SubscribeProxyOptions : ProxyEndpointOptions
{
    public const string Section = "Broadcast:Proxy:Subscribe";

    public SubscribeProxyOptions()
    {
        // Asking again is harmless here: the backend only decides, it does nothing the client would see twice.
        Retries = 2;
    }

    /// <summary>Comma-separated channel patterns the backend is asked about (<c>*</c> matches any run of characters); other channels keep the token's patterns.</summary>
    [System.ComponentModel.DataAnnotations.RegularExpression(ProxyEndpointOptions.PatternListRegex)]
    public string Channels { get; set; } = "*";

    internal override ProxyKind Kind => ProxyKind.Subscribe;
}
