namespace Broadcast.Server.Backend.Proxies;

/// <summary>The connect proxy (<c>Broadcast:Proxy:Connect</c>). Asked when a client connects without a token: the backend names the user, its permissions, channels to subscribe it to and data for it, or refuses (403).</summary>
public sealed class ConnectProxyOptions : ProxyEndpointOptions
{
    public const string Section = "Broadcast:Proxy:Connect";

    public ConnectProxyOptions()
    {
        // Asking again is harmless here: the backend only decides, it does nothing the client would see twice.
        Retries = 2;
    }

    internal override ProxyKind Kind => ProxyKind.Connect;
}
