namespace Broadcast.Server.Backend.Proxies;

/// <summary>The events the application's backend can be asked about (one URL each).</summary>
public enum ProxyKind
{
    Connect,
    Subscribe,
    Publish,
    Refresh,
    Rpc,
}
