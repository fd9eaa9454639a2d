namespace Broadcast.Server.Backend.Proxies;

/// <summary>The rpc proxy (<c>Broadcast:Proxy:Rpc</c>). Asked for a v2 client's <c>rpc</c> request: the backend's answer goes back to the client.</summary>
public sealed class RpcProxyOptions : ProxyEndpointOptions
{
    public const string Section = "Broadcast:Proxy:Rpc";

    internal override ProxyKind Kind => ProxyKind.Rpc;
}
