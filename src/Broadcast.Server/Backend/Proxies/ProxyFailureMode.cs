namespace Broadcast.Server.Backend.Proxies;

/// <summary>What a proxy decides when the backend cannot be asked: down, slower than the timeout, or answering nonsense.</summary>
public enum ProxyFailureMode
{
    /// <summary>Refuse (the safe default): the client gets <c>backend_unavailable</c> (a connect gets 503).</summary>
    Deny,

    /// <summary>Go ahead as if the backend had said yes (a connect is admitted as an anonymous client).</summary>
    Allow,
}
