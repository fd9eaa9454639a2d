using System.Net;
using Broadcast.Server.Channels;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Connections;

/// <summary>
/// One client's session state on this node: who it is (session, name, principal), its budgets, its
/// subscriptions and its publishes in flight, and where its frames go. Whatever carries the connection (a
/// WebSocket today) sits behind <see cref="Frames"/>; the dialect that speaks to the client is <see cref="Dialect"/>.
/// </summary>
public sealed class ClientSession : ISubscriber
{
    private ClientPrincipal? _principal;
    private SemaphoreSlim? _turn;

    internal ClientSession(long id, string nodeId, IFrameSink frames, IPAddress? remoteAddress, IClientDialect dialect)
    {
        Id = id;
        ClientKey = nodeId + ":" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Frames = frames;
        RemoteAddress = remoteAddress;
        Dialect = dialect;
        // A legacy client never resumes, so its token is thrown away; a v2 client's hello replaces this.
        Session = SessionId.PublicIdOf(SessionId.New());
    }

    public long Id { get; }

    /// <summary>When the connection was accepted (UTC).</summary>
    public DateTimeOffset ConnectedAt { get; } = DateTimeOffset.UtcNow;

    public IPAddress? RemoteAddress { get; }

    /// <summary>Unique across nodes: identifies this connection in presence.</summary>
    public string ClientKey { get; }

    /// <summary>The dialect the client speaks, chosen by the subprotocol it offered.</summary>
    public IClientDialect Dialect { get; }

    public IChannelEncoding Encoding => Dialect.Encoding;

    public IFrameSink Frames { get; }

    /// <summary>
    /// The public id of the client's session: the origin of its publications and its id in presence. Random
    /// for legacy clients; a v2 client may resume an earlier session in hello.
    /// </summary>
    public string Session { get; internal set; }

    /// <summary>The display name a v2 client gave in hello, shown in presence.</summary>
    public string? Name { get; internal set; }

    public string? UserId => Principal?.UserId;

    /// <summary>What the client's token allows, and until when; null for an anonymous client.</summary>
    public ClientPrincipal? Principal
    {
        get => Volatile.Read(ref _principal);
        internal set => Volatile.Write(ref _principal, value);
    }

    /// <summary>The upgrade's headers the application's backend is sent with each proxy call (empty unless a proxy needs them).</summary>
    public IReadOnlyDictionary<string, string> BackendHeaders { get; internal set; } = ClientContext.NoHeaders;

    /// <summary>JSON the connect proxy gave for this client; a v2 client gets it in <c>welcome</c>.</summary>
    public byte[]? ConnectData { get; internal set; }

    /// <summary>This client as the application's backend is told about it.</summary>
    public ClientContext ForBackend() => new(ClientKey, Dialect.Name, RemoteAddress?.ToString(), UserId, HasGreeted ? Session : null, BackendHeaders, Transport);

    /// <summary>What carries the connection (<see cref="TransportNames"/>), as the backend is told.</summary>
    public string Transport { get; init; } = TransportNames.WebSocket;

    /// <summary>Closes the connection when <see cref="Principal"/> expires without a refresh.</summary>
    internal ITimer? ExpiryTimer { get; set; }

    /// <summary>True once a v2 client's hello was accepted.</summary>
    public bool HasGreeted { get; internal set; }

    /// <summary>This connection's publish and request budgets (Broadcast:Limits); used by its receive loop only.</summary>
    public ConnectionBudget? Budget { get; internal set; }

    /// <summary>Publishes waiting on the engine (Redis); created on the first one that has to wait. Used by the receive loop only.</summary>
    public PublishPipeline? Publishes { get; set; }

    /// <summary>
    /// Held while the client's requests are handled, while the connection is torn down, and by the server's own
    /// actions on the connection's subscriptions (the application unsubscribing its user): one at a time. Made on
    /// first use, so a connection that never sends anything (a legacy listener) carries none.
    /// </summary>
    internal SemaphoreSlim Turn => Volatile.Read(ref _turn) ?? Interlocked.CompareExchange(ref _turn, new SemaphoreSlim(1, 1), null) ?? _turn!;

    /// <summary>This connection's subscriptions, by channel. Touched only while <see cref="Turn"/> is held.</summary>
    public Dictionary<string, ChannelSubscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The client kept publishing (or requesting) through its <c>rate_limited</c> errors: close with 1008
    /// after the replies already queued. <paramref name="reason"/>: <c>publish rate limit exceeded</c> or
    /// <c>request rate limit exceeded</c>.
    /// </summary>
    public void CloseForFlooding(string reason) =>
        Frames.Close(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, reason, drainFirst: true);

    internal void DisposeResources() => ExpiryTimer?.Dispose();
}
