namespace Broadcast.Client;

/// <summary>How a <see cref="BroadcastClient"/> connects and reconnects.</summary>
public sealed class BroadcastClientOptions
{
    /// <summary>The WebSocket endpoint, for example <c>ws://localhost:8000/ws/events</c>.</summary>
    public Uri? Uri { get; init; }

    /// <summary>
    /// Asked before every connection attempt, instead of <see cref="Uri"/> when set: lets a client move to
    /// another node (failover, a list of servers, a discovery service) without being recreated.
    /// </summary>
    public Func<Uri>? UriProvider { get; init; }

    /// <summary>
    /// A bearer token (JWT) for the server, sent as the <c>access_token</c> query parameter of every connection
    /// attempt. <see cref="BroadcastClient.AuthenticateAsync"/> replaces it for later reconnects.
    /// </summary>
    public string? AccessToken { get; init; }

    /// <summary>
    /// <see cref="ClientEncoding.Json"/> (the default): JSON text frames, subprotocol <c>broadcast.v2</c>.
    /// <see cref="ClientEncoding.MessagePack"/>: every frame in MessagePack in binary frames (<c>broadcast.v2.msgpack</c>).
    /// </summary>
    public ClientEncoding Encoding { get; init; } = ClientEncoding.Json;

    /// <summary>The display name sent in <c>hello</c> and shown in presence (at most 64 characters).</summary>
    public string? Name { get; init; }

    /// <summary>The backoff base: the first reconnect waits a random time up to this.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>The backoff cap: no reconnect waits longer than this.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A connection that lasted this long counts as stable: the next reconnect starts again from
    /// <see cref="ReconnectBaseDelay"/> instead of continuing to back off.
    /// </summary>
    public TimeSpan StableConnectionTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a request (publish, subscribe, history, presence) or the <c>welcome</c> may go unanswered on
    /// an open connection. The server answers in milliseconds, so a longer silence means the connection is
    /// dead without having noticed: the client drops it, reconnects and sends the request again.
    /// </summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The randomness of the backoff jitter; tests pass a seeded one. Used by one task at a time.</summary>
    public Random? Random { get; init; }

    /// <summary>
    /// The transports to try, in order (default: WebSocket only). An attempt that does not get its
    /// <c>welcome</c> moves on to the next one (after the last, back to the first); one that worked is kept.
    /// <c>[WebSocket, HttpStreaming]</c> falls back to HTTP streaming where upgrades are broken; a reconnect
    /// over another transport resumes the session and every channel as any reconnect does.
    /// </summary>
    public IReadOnlyList<ClientTransport> Transports { get; init; } = [ClientTransport.WebSocket];
}
