namespace Broadcast.Server.Security;

/// <summary>
/// What the application's backend decides about a client, when the operator configured it to be asked
/// (<c>Broadcast:Proxy</c>: HTTP calls to the backend, docs/integration.md): who a client without a token is
/// when it connects, whether it may subscribe to a channel, whether (and what) it may publish, and how much
/// longer a connection the backend admitted may last. Decisions only, like the rest of this room: whoever
/// enforces them (the upgrade, the dialects, the publish gate) asks here where it asks the token's
/// permissions otherwise. Every call answers within its proxy's timeout; a backend that is down or slow is
/// answered by the proxy's configured outcome (deny or allow), never by an exception.
/// </summary>
public interface IBackendHooks
{
    /// <summary>The request headers of a client's upgrade the backend is sent with every call (<c>Broadcast:Proxy:ForwardHeaders</c>); empty when no proxy is on.</summary>
    IReadOnlyList<string> ForwardedHeaders { get; }

    /// <summary>True when a proxy called after the upgrade is on, so a connection keeps its forwarded headers.</summary>
    bool KeepsForwardedHeaders { get; }

    /// <summary>True when a client connecting without a token is admitted by the backend (the connect proxy).</summary>
    bool AsksOnConnect { get; }

    /// <summary>True when the backend decides who may subscribe to <paramref name="channel"/> (instead of the token's patterns).</summary>
    bool AsksOnSubscribe(string channel);

    /// <summary>True when the backend decides who may publish to <paramref name="channel"/>, and may replace the message.</summary>
    bool AsksOnPublish(string channel);

    /// <summary>True when a connection admitted by the backend is extended by it when its time runs out (the refresh proxy).</summary>
    bool AsksOnRefresh { get; }

    ValueTask<ConnectVerdict> ConnectAsync(ClientContext client, CancellationToken cancellationToken);

    ValueTask<BackendRefusal?> SubscribeAsync(ClientContext client, string channel, CancellationToken cancellationToken);

    /// <param name="payload">What the client publishes: a message (escaped JSON string content), JSON data or bytes.</param>
    ValueTask<PublishVerdict> PublishAsync(ClientContext client, string channel, ProxiedPayload payload, CancellationToken cancellationToken);

    ValueTask<RefreshVerdict> RefreshAsync(ClientContext client, CancellationToken cancellationToken);
}
