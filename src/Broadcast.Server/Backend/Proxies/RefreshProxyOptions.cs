namespace Broadcast.Server.Backend.Proxies;

/// <summary>The refresh proxy (<c>Broadcast:Proxy:Refresh</c>). Asked when a connection the connect proxy admitted reaches its <c>expireAt</c>: the backend extends it or ends it.</summary>
public sealed class RefreshProxyOptions : ProxyEndpointOptions
{
    public const string Section = "Broadcast:Proxy:Refresh";

    public RefreshProxyOptions()
    {
        // Asking again is harmless here: the backend only decides, it does nothing the client would see twice.
        Retries = 2;
    }

    internal override ProxyKind Kind => ProxyKind.Refresh;
}
