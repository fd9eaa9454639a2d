using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Broadcast.Client;

/// <summary>
/// A client of WebSocket Broadcast Server speaking <c>broadcast.v2</c>. After <see cref="ConnectAsync"/> it
/// stays connected by itself: when the connection drops it reconnects with exponential backoff and full
/// jitter, takes up its session again, resubscribes every channel from the last position it delivered
/// (the server replays what was missed) and resends every publication that was not acknowledged, with
/// the same id so the server does not publish it twice.
/// </summary>
/// <remarks>
/// All members are thread-safe. Events run on the client's receive loop: keep handlers short.
/// </remarks>
public sealed class BroadcastClient : IAsyncDisposable
{
    private readonly BroadcastClientOptions _options;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    // Request ids are unique per client instance; the random prefix keeps them unique across instances
    // too, should two ever share a session.
    private readonly string _idPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + "-";
    private long _nextId;
    private Connection? _connection;
    private string? _session;
    private string? _publicSessionId;
    private string? _accessToken;
    private int _maxMessageBytes;
    private ConnectionState _state;
    private bool _started;
    private bool _disposed;
    private Task? _loop;
    private int _transportIndex;

    /// <summary>Creates a client; nothing happens on the network until <see cref="ConnectAsync"/>.</summary>
    public BroadcastClient(BroadcastClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Uri is null && options.UriProvider is null)
        {
            throw new ArgumentException("Set Uri or UriProvider.", nameof(options));
        }

        if (options.Transports is not { Count: > 0 })
        {
            throw new ArgumentException("Name at least one transport.", nameof(options));
        }

        _options = options;
        _random = options.Random ?? Random.Shared;
        _accessToken = options.AccessToken;

        // HTTP streaming carries the extended protocol in JSON whatever the Encoding: MessagePack is a WebSocket dialect.
        TransportFactory = () => Transport == ClientTransport.HttpStreaming ? new HttpStreamTransport() : new WebSocketTransport(options.Encoding);
    }

    /// <summary>The connection state; <see cref="StateChanged"/> reports every change.</summary>
    public ConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// The session token the server gave in <c>welcome</c>; sent again on every reconnect to resume the session.
    /// It is the session's credential: keep it to this client, never show it to others.
    /// </summary>
    public string? SessionId
    {
        get
        {
            lock (_gate)
            {
                return _session;
            }
        }
    }

    /// <summary>
    /// What others see of this session: the <see cref="Publication.Origin"/> of its publications and its
    /// <see cref="PresenceMember.Session"/>; compare against it to recognise this client.
    /// </summary>
    public string? PublicSessionId
    {
        get
        {
            lock (_gate)
            {
                return _publicSessionId;
            }
        }
    }

    /// <summary>Connecting, connected, reconnecting (with the delay), disconnected (with the reason).</summary>
    public event EventHandler<ConnectionStateChange>? StateChanged;

    /// <summary>A channel was resumed after a reconnect and the server replays the <see cref="ChannelRecovery.Missed"/> publications.</summary>
    public event EventHandler<ChannelRecovery>? Recovered;

    /// <summary>
    /// A channel was resubscribed after a reconnect but what was missed cannot be replayed (the server
    /// restarted, or the history moved past the last position). The subscription continues live; the
    /// application must resynchronize.
    /// </summary>
    public event EventHandler<ChannelRecovery>? RecoveryFailed;

    /// <summary>
    /// The server ended a subscription by itself, e.g. because a refreshed token no longer allows the channel
    /// (<see cref="ErrorCodes.Forbidden"/>). The subscription is removed (it is not renewed after reconnects) and its
    /// <see cref="Subscription.Publications"/> completes with a <see cref="BroadcastException"/> of the same code.
    /// </summary>
    public event EventHandler<SubscriptionEnd>? SubscriptionEnded;

    /// <summary>
    /// The server skipped publications of a subscribed channel because this client read too slowly (only on
    /// channels the server drops rather than disconnects, e.g. <c>Broadcast:Channels:KeepLatest</c>).
    /// </summary>
    public event EventHandler<ChannelDrop>? PublicationsDropped;

    /// <summary>
    /// The server subscribed this client by itself, right after <c>welcome</c> (a <c>subscribed</c> frame without an
    /// id: the token's <c>channels</c> claim, the connect proxy's <c>channels</c>, the user channel <c>@user:{user}</c>).
    /// The <see cref="Subscription"/> (<see cref="Subscription.MadeByServer"/>) delivers its publications like any
    /// other. Raised once per subscription, not again when the server makes it again after a reconnect.
    /// </summary>
    public event EventHandler<Subscription>? ServerSubscribed;

    /// <summary>The transport of the current connection, or of the next attempt while there is none.</summary>
    public ClientTransport Transport => _options.Transports[(int)((uint)Volatile.Read(ref _transportIndex) % (uint)_options.Transports.Count)];

    /// <summary>Replaces the transports for unit tests.</summary>
    internal Func<IClientTransport> TransportFactory { get; set; }

    /// <summary>Sees every inbound frame first; returning false drops it (tests simulate lost frames).</summary>
    internal Func<JsonElement, bool>? InboundFilter { get; set; }

    /// <summary>
    /// Opens the first connection and returns once the server has welcomed it. Fails if that first attempt
    /// fails (a wrong address should not turn into silent retries); after it succeeded, the client
    /// reconnects by itself until disposed. Subscriptions and publications made before this call are
    /// sent once connected.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                throw new InvalidOperationException("The client is already connected or connecting.");
            }

            _started = true;
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            var connection = await OpenFirstAsync(linked.Token);
            lock (_gate)
            {
                _loop = Task.Run(() => RunAsync(connection));
            }
        }
        catch
        {
            lock (_gate)
            {
                _started = false;
            }

            throw;
        }
    }

    /// <summary>
    /// Subscribes to <paramref name="channel"/> and returns once the server confirmed it; publications
    /// after that moment follow on <see cref="Subscription.Publications"/>.
    /// </summary>
    /// <param name="channel">1-128 characters of <c>A-Z a-z 0-9 _ - . : @ /</c>.</param>
    /// <param name="presence">Also raise <see cref="Subscription.PresenceChanged"/> for joins and leaves.</param>
    /// <param name="cancellationToken">Cancels waiting; the subscription is then removed.</param>
    /// <exception cref="BroadcastException">The server refused the subscription.</exception>
    /// <exception cref="InvalidOperationException">The client is already subscribed to the channel.</exception>
    public async Task<Subscription> SubscribeAsync(string channel, bool presence = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        cancellationToken.ThrowIfCancellationRequested();
        Subscription subscription;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_subscriptions.ContainsKey(channel))
            {
                throw new InvalidOperationException($"Already subscribed to the channel '{channel}'.");
            }

            subscription = new Subscription(this, channel, presence);
            _subscriptions.Add(channel, subscription);
            if (_connection is { } connection)
            {
                SendSubscribe(connection, subscription);
            }
        }

        try
        {
            await subscription.Ready.Task.WaitAsync(cancellationToken);
            return subscription;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The server may still subscribe; the unsubscribe follows it on the same ordered connection.
            _ = UnsubscribeAsync(channel, CancellationToken.None).ContinueWith(t => t.Exception, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>
    /// Ends the subscription to <paramref name="channel"/> (nothing happens if there is none): its
    /// publication stream completes at once, and the server is told when connected.
    /// </summary>
    public async Task UnsubscribeAsync(string channel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        PendingRequest? pending = null;
        lock (_gate)
        {
            if (!_subscriptions.Remove(channel, out var subscription))
            {
                return;
            }

            DropSubscribeRequests(subscription);
            subscription.Complete();
            subscription.Ready.TrySetCanceled(CancellationToken.None);
            if (_connection is { } connection)
            {
                var id = NextId();
                pending = new PendingRequest(id, Frames.Unsubscribe(id, channel), RequestKind.Unsubscribe, _nextId);
                _pending.Add(id, pending);
                Transmit(connection, pending);
            }
        }

        if (pending is not null)
        {
            await AwaitReplyAsync(pending, cancellationToken);
        }
    }

    /// <summary>
    /// Publishes <paramref name="message"/> on <paramref name="channel"/> and returns the server's
    /// acknowledgement. If the connection drops before the acknowledgement, the same request (same id) is
    /// sent again after reconnecting until it is acknowledged or <paramref name="cancellationToken"/> is
    /// cancelled; the server publishes it once and acknowledges a repeat with
    /// <see cref="PublishResult.Duplicate"/>. The client is not subscribed to its own publications: it
    /// never receives them, and counts their offsets as seen.
    /// </summary>
    /// <remarks>
    /// Cancelling stops the waiting and the retries, not necessarily the publication: a request already
    /// sent may have been accepted. An answer <see cref="ErrorCodes.PublishUnknown"/> (the server's engine did
    /// not answer in time: it may have been published) is not an error here: the same request is sent again
    /// after a backoff until the server knows. An acknowledgement whose <see cref="PublishResult.Epoch"/> differs
    /// from an earlier attempt's says the engine lost its data meanwhile, and the publication may exist twice.
    /// </remarks>
    /// <exception cref="BroadcastException">The server rejected the publication (see <see cref="BroadcastException.Code"/>).</exception>
    public async Task<PublishResult> PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentException.ThrowIfNullOrEmpty(message);
        var ack = await RequestAsync(RequestKind.Publish, id => Frames.Publish(id, channel, message), cancellationToken);
        return new PublishResult(ack.String("channel") ?? channel, ack.Int64("offset"), ack.String("epoch") ?? "", ack.Bool("duplicate"));
    }

    /// <summary>
    /// Publishes <paramref name="value"/> as <c>data</c> (any JSON value), serialized once with <paramref name="typeInfo"/>
    /// (a source-generated context's, say); subscribers get exactly those bytes. Acknowledged and retried like
    /// <see cref="PublishAsync(string, string, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="BroadcastException">The server rejected the publication (see <see cref="BroadcastException.Code"/>).</exception>
    public Task<PublishResult> PublishAsync<T>(string channel, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return PublishPayloadAsync(channel, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), isBytes: false, cancellationToken);
    }

    /// <summary>
    /// Publishes <paramref name="value"/> as <c>data</c> with reflection-based <paramref name="options"/> (<see cref="JsonSerializerOptions.Web"/>
    /// when null). Required, so that <c>PublishAsync(channel, "text")</c> stays a message.
    /// </summary>
    /// <exception cref="BroadcastException">The server rejected the publication (see <see cref="BroadcastException.Code"/>).</exception>
    public Task<PublishResult> PublishAsync<T>(string channel, T value, JsonSerializerOptions? options, CancellationToken cancellationToken = default) =>
        PublishAsync(channel, value, (JsonTypeInfo<T>)(options ?? JsonSerializerOptions.Web).GetTypeInfo(typeof(T)), cancellationToken);

    /// <summary>Publishes binary content as <c>bytes</c> (base64 in JSON frames).</summary>
    /// <exception cref="BroadcastException">The server rejected the publication (see <see cref="BroadcastException.Code"/>).</exception>
    public Task<PublishResult> PublishBytesAsync(string channel, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        PublishPayloadAsync(channel, bytes, isBytes: true, cancellationToken);

    private async Task<PublishResult> PublishPayloadAsync(string channel, ReadOnlyMemory<byte> payload, bool isBytes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        var ack = await RequestAsync(
            RequestKind.Publish,
            id => isBytes ? Frames.PublishBytes(id, channel, payload) : Frames.PublishData(id, channel, payload),
            cancellationToken);
        return new PublishResult(ack.String("channel") ?? channel, ack.Int64("offset"), ack.String("epoch") ?? "", ack.Bool("duplicate"));
    }

    /// <summary>
    /// Subscribes like <see cref="SubscribeAsync(string, bool, CancellationToken)"/>, reading each publication's payload as a
    /// <typeparamref name="T"/> with <paramref name="typeInfo"/> (see <see cref="Publication.As{T}(JsonTypeInfo{T})"/>).
    /// </summary>
    public async Task<Subscription<T>> SubscribeAsync<T>(string channel, JsonTypeInfo<T> typeInfo, bool presence = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new Subscription<T>(await SubscribeAsync(channel, presence, cancellationToken), typeInfo);
    }

    /// <summary>
    /// Sends a fresh token for the open connection (the <c>auth</c> request), before the current one expires:
    /// the server keeps the connection open with the new token's deadline and permissions. Subscriptions the
    /// new token no longer allows end first (<see cref="SubscriptionEnded"/>). Once accepted, the token is also
    /// the one later reconnects present.
    /// </summary>
    /// <param name="token">The new token; it must name the same user as the connection's current one.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <exception cref="BroadcastException">
    /// The server refused it (<see cref="ErrorCodes.TokenInvalid"/>, <see cref="ErrorCodes.UserMismatch"/>); the
    /// connection keeps its current token.
    /// </exception>
    public async Task<AuthResult> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var reply = await RequestAsync(RequestKind.Auth, id => Frames.Auth(id, token), cancellationToken);
        lock (_gate)
        {
            _accessToken = token;
        }

        return new AuthResult(reply.String("user"), reply.Timestamp("expires"));
    }

    /// <summary>Reads up to <paramref name="limit"/> publications of <paramref name="channel"/> after offset <paramref name="since"/>, oldest first.</summary>
    /// <remarks>
    /// The server answers in pages of bounded size (<c>more: true</c> when a page stopped early); this asks for
    /// the pages that follow until it has <paramref name="limit"/> publications or the history ends. If the
    /// history changes between two pages (lost, or moved past where the last page ended), it returns what it
    /// has with <see cref="HistoryResult.Truncated"/> set: what follows could not be joined without a gap.
    /// </remarks>
    /// <param name="channel">The channel; the client need not be subscribed.</param>
    /// <param name="since">Publications with a larger offset are returned.</param>
    /// <param name="limit">1-1000.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    public async Task<HistoryResult> HistoryAsync(string channel, long since = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        var publications = new List<Publication>();
        string? epoch = null;
        long offset = 0;
        var truncated = false;
        var after = since;
        while (true)
        {
            var wanted = limit - publications.Count;
            var reply = await RequestAsync(RequestKind.Read, id => Frames.History(id, channel, after, wanted), cancellationToken);
            var pageEpoch = reply.String("epoch") ?? "";
            if (epoch is null)
            {
                epoch = pageEpoch;
                truncated = reply.Bool("truncated");
            }
            else if (pageEpoch != epoch || reply.Bool("truncated"))
            {
                truncated = true;
                break;
            }

            offset = reply.Int64("offset");
            var page = reply.Array("publications").Select(p => p.Publication(channel, epoch)).ToList();
            publications.AddRange(page);
            if (!reply.Bool("more") || page.Count == 0 || publications.Count >= limit)
            {
                break;
            }

            after = page[^1].Offset;
        }

        return new HistoryResult(channel, epoch, offset, truncated, publications);
    }

    /// <summary>Who is subscribed to <paramref name="channel"/> right now.</summary>
    public async Task<PresenceResult> PresenceAsync(string channel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        var reply = await RequestAsync(RequestKind.Read, id => Frames.Presence(id, channel), cancellationToken);
        var members = reply.Array("members").Select(m => new PresenceMember(m.String("session") ?? "", m.String("name"), m.String("user"))).ToList();
        return new PresenceResult(channel, (int)reply.Int64("count"), members);
    }

    /// <summary>
    /// Asks the application's backend (the server's RPC proxy) and returns its answer's <c>data</c> (a JSON
    /// <c>null</c> when it gave none). Made while disconnected, it is sent once connected.
    /// </summary>
    /// <param name="method">1-64 characters of <c>A-Z a-z 0-9 _ - . : /</c>.</param>
    /// <param name="data">Any JSON value, passed to the backend as written; none: <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels waiting (not the backend's work).</param>
    /// <exception cref="BroadcastException">
    /// The backend refused (its own code, or <see cref="ErrorCodes.BackendRefused"/>), could not be asked
    /// (<see cref="ErrorCodes.BackendUnavailable"/>), the server has no RPC backend (<see cref="ErrorCodes.RpcNotConfigured"/>),
    /// or the connection ended before the answer (<see cref="ErrorCodes.ConnectionLost"/>: the backend may have handled it;
    /// an rpc is never sent twice by itself).
    /// </exception>
    public async Task<JsonElement> RpcAsync(string method, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var reply = await RequestAsync(RequestKind.Rpc, id => Frames.Rpc(id, method, data), cancellationToken);
        return reply.TryGetProperty("data", out var answer) ? answer.Clone() : JsonDocument.Parse("null").RootElement.Clone();
    }

    /// <summary>
    /// Closes the connection (normal closure) and stops reconnecting. Pending requests fail with
    /// <see cref="ObjectDisposedException"/>; publication streams complete.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Connection? connection;
        Task? loop;
        List<PendingRequest> pending;
        List<Subscription> subscriptions;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connection = _connection;
            loop = _loop;
            pending = [.. _pending.Values];
            _pending.Clear();
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }

        await _stop.CancelAsync();
        if (connection is not null)
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(2));
        }

        if (loop is not null)
        {
            await loop;
        }

        var disposed = new ObjectDisposedException(nameof(BroadcastClient));
        foreach (var request in pending)
        {
            request.Reply.TrySetException(disposed);
        }

        foreach (var subscription in subscriptions)
        {
            subscription.Ready.TrySetException(disposed);
            subscription.Complete();
        }

        SetState(new ConnectionStateChange(ConnectionState.Disconnected));
        // _stop is not disposed: a ConnectAsync racing with this may still link to its token.
    }

    /// <summary>Drops the current connection without a close handshake, as a network failure would; false when there is none.</summary>
    internal bool AbortConnection()
    {
        lock (_gate)
        {
            _connection?.Abort(new IOException("Connection aborted by a test."));
            return _connection is not null;
        }
    }

    internal (string? Epoch, long Offset) PositionOf(Subscription subscription)
    {
        lock (_gate)
        {
            return (subscription.Position.Epoch, subscription.Position.Offset);
        }
    }

    /// <summary>Watches the open connection, and when it ends, reconnects with backoff until disposed.</summary>
    private async Task RunAsync(Connection connection)
    {
        var attempt = 0;
        var checkInterval = TimeSpan.FromTicks(Math.Clamp(_options.AckTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        while (true)
        {
            while (!connection.Completion.IsCompleted && !_stop.IsCancellationRequested)
            {
                await Task.WhenAny(connection.Completion, Task.Delay(checkInterval, _stop.Token));
                if (HasOverdueRequest(connection))
                {
                    connection.Abort(new TimeoutException($"No reply within {_options.AckTimeout}; the connection is considered dead."));
                }
            }

            // Once disposing, DisposeAsync closes the connection; wait for that to finish.
            await connection.Completion;
            Detach(connection);
            connection.Dispose();
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            SetState(new ConnectionStateChange(ConnectionState.Disconnected, Error: connection.Error));
            if (Stopwatch.GetElapsedTime(connection.ConnectedAt) >= _options.StableConnectionTime)
            {
                attempt = 0;
            }

            while (true)
            {
                var delay = Backoff.Delay(attempt++, _options.ReconnectBaseDelay, _options.ReconnectMaxDelay, _random);
                SetState(new ConnectionStateChange(ConnectionState.Reconnecting, ReconnectDelay: delay));
                try
                {
                    await Task.Delay(delay, _stop.Token);
                    connection = await OpenAsync(_stop.Token);
                    break;
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // OpenAsync reported the failure as Disconnected; back off further and try again.
                }
            }
        }
    }

    /// <summary>The first connection: each transport is tried once, in order; the last one's failure is the answer.</summary>
    private async Task<Connection> OpenFirstAsync(CancellationToken cancellationToken)
    {
        for (var tried = 1; ; tried++)
        {
            try
            {
                return await OpenAsync(cancellationToken);
            }
            catch (Exception) when (tried < _options.Transports.Count && !cancellationToken.IsCancellationRequested)
            {
                // OpenAsync moved on to the next transport.
            }
        }
    }

    /// <summary>Opens a transport, says hello (with the session, if any) and attaches the connection on welcome.</summary>
    private async Task<Connection> OpenAsync(CancellationToken cancellationToken)
    {
        SetState(new ConnectionStateChange(ConnectionState.Connecting));
        var connection = new Connection(TransportFactory());
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.AckTimeout);
        try
        {
            var uri = WithAccessToken(_options.UriProvider?.Invoke() ?? _options.Uri!);
            await connection.ConnectTransportAsync(uri, deadline.Token);
            connection.Start(Dispatch);
            connection.Send(Frames.Hello(SessionId, _options.Name));
            // Attached by the reader on welcome (see Dispatch), before the frames that follow it are read.
            await connection.Welcome.Task.WaitAsync(deadline.Token);
            SetState(new ConnectionStateChange(ConnectionState.Connected));
            return connection;
        }
        catch (Exception ex)
        {
            if (ex is BroadcastException { Code: ErrorCodes.SessionForbidden or ErrorCodes.SessionInvalid })
            {
                // The server will not resume this session (another user's): the next attempt starts a new one.
                ForgetSession();
            }

            // No welcome over this transport: the next attempt tries the next one.
            Interlocked.Increment(ref _transportIndex);
            connection.Abort();
            await connection.Completion;
            Detach(connection);
            connection.Dispose();
            var error = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? new TimeoutException($"The server did not welcome the connection within {_options.AckTimeout}.", ex)
                : ex;
            SetState(new ConnectionStateChange(ConnectionState.Disconnected, Error: error));
            if (error != ex)
            {
                throw error;
            }

            throw;
        }
    }

    /// <summary>Makes <paramref name="connection"/> current: resubscribes every channel and resends every unanswered request.</summary>
    private void Attach(Connection connection, JsonElement welcome)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _session = welcome.String("session") ?? _session;
            // Servers before public ids showed the session itself to others.
            _publicSessionId = welcome.String("publicId") ?? _session;
            if (welcome.TryGetProperty("limits", out var limits) && limits.ValueKind == JsonValueKind.Object)
            {
                _maxMessageBytes = (int)Math.Clamp(limits.Int64("maxMessageBytes"), 0, int.MaxValue);
            }

            _connection = connection;
            connection.ConnectedAt = Stopwatch.GetTimestamp();

            // Subscriptions first: publications resent below then come after the resubscriptions, so
            // their acks find the positions already known.
            // (Those the server made it makes again by itself, right after welcome.)
            foreach (var subscription in _subscriptions.Values.Where(s => !s.MadeByServer))
            {
                SendSubscribe(connection, subscription);
            }

            foreach (var pending in _pending.Values.Where(p => p.Kind is RequestKind.Publish or RequestKind.Read or RequestKind.Auth || (p.Kind == RequestKind.Rpc && p.SentOn is null)).OrderBy(p => p.Sequence).ToList())
            {
                Transmit(connection, pending);
            }
        }
    }

    private void ForgetSession()
    {
        lock (_gate)
        {
            _session = null;
            _publicSessionId = null;
        }
    }

    /// <summary>Forgets a connection that ended; its subscribe and unsubscribe requests are moot.</summary>
    private void Detach(Connection connection)
    {
        lock (_gate)
        {
            if (_connection == connection)
            {
                _connection = null;
            }

            foreach (var pending in _pending.Values.Where(p => p.Kind is RequestKind.Subscribe or RequestKind.Unsubscribe).ToList())
            {
                _pending.Remove(pending.Id);
                pending.Subscription?.Resuming = false;
                pending.Reply.TrySetResult(default);
            }

            // An rpc the server may have passed to the backend: its outcome is unknown, and it is not asked again.
            foreach (var pending in _pending.Values.Where(p => p.Kind == RequestKind.Rpc && p.SentOn == connection).ToList())
            {
                _pending.Remove(pending.Id);
                pending.Reply.TrySetException(new BroadcastException(ErrorCodes.ConnectionLost, "The connection ended before the backend's answer; it may or may not have handled the request."));
            }
        }
    }

    private async Task<JsonElement> RequestAsync(RequestKind kind, Func<string, byte[]> frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        PendingRequest pending;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var id = NextId();
            pending = new PendingRequest(id, frame(id), kind, _nextId);
            _pending.Add(id, pending);
            if (_connection is { } connection)
            {
                Transmit(connection, pending);
            }
        }

        return await AwaitReplyAsync(pending, cancellationToken);
    }

    private async Task<JsonElement> AwaitReplyAsync(PendingRequest pending, CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(() =>
        {
            // Cancelled requests are not resent.
            lock (_gate)
            {
                _pending.Remove(pending.Id);
            }

            pending.Reply.TrySetCanceled(cancellationToken);
        });
        return await pending.Reply.Task;
    }

    // Everything below runs under _gate.

    private string NextId() => _idPrefix + (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void SendSubscribe(Connection connection, Subscription subscription)
    {
        DropSubscribeRequests(subscription);
        var id = NextId();
        var position = subscription.Position;
        var resume = position.IsKnown;
        var frame = Frames.Subscribe(id, subscription.Channel, resume ? position.Epoch : null, position.Offset, subscription.Presence);
        var pending = new PendingRequest(id, frame, RequestKind.Subscribe, _nextId, subscription, resume);
        _pending.Add(id, pending);
        Transmit(connection, pending);
    }

    private void DropSubscribeRequests(Subscription subscription)
    {
        foreach (var stale in _pending.Values.Where(p => p.Subscription == subscription).ToList())
        {
            _pending.Remove(stale.Id);
        }
    }

    private void Transmit(Connection connection, PendingRequest pending)
    {
        if (_maxMessageBytes > 0 && pending.Frame.Length > _maxMessageBytes)
        {
            _pending.Remove(pending.Id);
            pending.Reply.TrySetException(new BroadcastException(ErrorCodes.MessageTooBig, $"The frame is {pending.Frame.Length} bytes; the server accepts at most {_maxMessageBytes}."));
            return;
        }

        pending.SentOn = connection;
        pending.SentAt = Stopwatch.GetTimestamp();
        connection.Send(pending.Frame);
    }

    private bool HasOverdueRequest(Connection connection)
    {
        lock (_gate)
        {
            return _pending.Values.Any(p => p.SentOn == connection && Stopwatch.GetElapsedTime(p.SentAt) > _options.AckTimeout);
        }
    }

    /// <summary>Handles one inbound frame; called by the connection's reader, one frame at a time.</summary>
    private void Dispatch(Connection connection, JsonElement frame)
    {
        if (InboundFilter is { } filter && !filter(frame))
        {
            return;
        }

        var type = frame.String("type");
        if (type == "welcome")
        {
            // Attached here, on the reader, not by the connecting task: the server's own subscriptions come right
            // after welcome, and must find the connection current (they would be dropped as a stale connection's).
            try
            {
                Attach(connection, frame);
                connection.Welcome.TrySetResult(frame);
            }
            catch (ObjectDisposedException ex)
            {
                connection.Welcome.TrySetException(ex);
            }

            return;
        }

        // Events are raised after the lock is released, so handlers may call back into the client.
        Action? raise = null;
        lock (_gate)
        {
            if (connection != _connection)
            {
                if (type == "error")
                {
                    // Before welcome: the hello was refused.
                    connection.Welcome.TrySetException(ToException(frame));
                }

                return;
            }

            var id = frame.String("id");
            var channel = frame.String("channel") ?? "";
            var pending = id is not null && _pending.TryGetValue(id, out var found) ? found : null;
            _subscriptions.TryGetValue(channel, out var subscription);
            switch (type)
            {
                case "pub":
                    var epoch = frame.String("epoch") ?? "";
                    if (subscription is not null && !subscription.Resuming && subscription.Position.IsKnown && subscription.Position.Accept(epoch, frame.Int64("offset")))
                    {
                        subscription.Deliver(frame.Publication(channel, epoch));
                    }

                    break;

                case "subscribed" when id is null:
                    raise = OnServerSubscribed(connection, channel, subscription, frame);
                    break;

                case "subscribed":
                    if (pending?.Subscription is { } subscribed && subscribed == subscription)
                    {
                        _pending.Remove(pending.Id);
                        raise = OnSubscribed(subscribed, pending.Resume, frame);
                    }

                    break;

                case "ack":
                    if (subscription is not null && subscription.Position.IsKnown)
                    {
                        subscription.Position.Acknowledged(frame.String("epoch") ?? "", frame.Int64("offset"));
                    }

                    Complete(pending, frame);
                    break;

                case "unsubscribed" when id is null && frame.String("code") is { } code:
                    // Not an answer: the server ended the subscription by itself (a refreshed token no longer allows it).
                    if (subscription is not null)
                    {
                        _subscriptions.Remove(channel);
                        DropSubscribeRequests(subscription);
                        var ended = ToException(frame);
                        subscription.Ready.TrySetException(ended);
                        subscription.Complete(ended);
                        var end = new SubscriptionEnd(channel, code, ended.Message);
                        raise = () => EventRaiser.Raise(SubscriptionEnded, this, end);
                    }

                    break;

                case "unsubscribed" or "history" or "presence" or "authenticated" or "rpc":
                    Complete(pending, frame);
                    break;

                case "unrecovered":
                    // The server lost publications it could not deliver (e.g. Redis restarted without its
                    // data): the stream continues after the given position; the application must resync.
                    if (subscription is not null)
                    {
                        var lostEpoch = frame.String("epoch") ?? "";
                        var lostOffset = frame.Int64("offset");
                        subscription.Position.Reset(lostEpoch, lostOffset);
                        var lost = new ChannelRecovery(channel, false, 0, lostEpoch, lostOffset);
                        raise = () => EventRaiser.Raise(RecoveryFailed, this, lost);
                    }

                    break;

                case "dropped":
                    if (subscription is not null)
                    {
                        var drop = new ChannelDrop(channel, (int)Math.Min(frame.Int64("count"), int.MaxValue));
                        raise = () => EventRaiser.Raise(PublicationsDropped, this, drop);
                    }

                    break;

                case "join" or "leave":
                    if (subscription is { Presence: true })
                    {
                        var change = new PresenceChange(channel, type == "join", new PresenceMember(frame.String("session") ?? "", frame.String("name"), frame.String("user")));
                        raise = () => subscription.RaisePresenceChanged(change);
                    }

                    break;

                case "error":
                    if (pending is not null)
                    {
                        OnError(pending, frame);
                    }

                    break;
            }
        }

        raise?.Invoke();
    }

    private void Complete(PendingRequest? pending, JsonElement frame)
    {
        if (pending is not null)
        {
            _pending.Remove(pending.Id);
            pending.Reply.TrySetResult(frame);
        }
    }

    /// <summary>
    /// A subscription the server made by itself (no id). New: registered (its publications flow) and reported.
    /// Known from an earlier connection: when the fresh one starts past the last position, resumed from there
    /// (being named by the token or the backend allows subscribing), so the gap is replayed.
    /// </summary>
    private Action? OnServerSubscribed(Connection connection, string channel, Subscription? subscription, JsonElement frame)
    {
        var epoch = frame.String("epoch") ?? "";
        var offset = frame.Int64("offset");
        if (subscription is null)
        {
            var made = new Subscription(this, channel, presence: false, madeByServer: true);
            _subscriptions.Add(channel, made);
            made.Position.Reset(epoch, offset);
            made.Ready.TrySetResult();
            return () => EventRaiser.Raise(ServerSubscribed, this, made);
        }

        // The application's own subscription, or a (re)subscribe of ours in flight: its reply is the one that counts.
        if (!subscription.MadeByServer || _pending.Values.Any(p => p.Subscription == subscription))
        {
            return null;
        }

        if (subscription.Position.IsKnown && (subscription.Position.Epoch != epoch || subscription.Position.Offset < offset))
        {
            subscription.Resuming = true;
            SendSubscribe(connection, subscription);
        }

        return null;
    }

    private Action? OnSubscribed(Subscription subscription, bool resume, JsonElement frame)
    {
        subscription.Resuming = false;
        var epoch = frame.String("epoch") ?? "";
        var offset = frame.Int64("offset");
        var recovered = resume && frame.Bool("recovered");
        if (!recovered)
        {
            // New, or the position is lost: live from the channel's current offset.
            subscription.Position.Reset(epoch, offset);
        }

        subscription.Ready.TrySetResult();
        if (!resume)
        {
            return null;
        }

        var recovery = new ChannelRecovery(subscription.Channel, recovered, recovered ? (int)frame.Int64("missed") : 0, epoch, offset);
        return recovered
            ? () => EventRaiser.Raise(Recovered, this, recovery)
            : () => EventRaiser.Raise(RecoveryFailed, this, recovery);
    }

    private void OnError(PendingRequest pending, JsonElement frame)
    {
        var error = ToException(frame);
        if (pending.Kind == RequestKind.Publish && error.Code == ErrorCodes.ShuttingDown)
        {
            // Nothing was published and the server closes with 1001 next: the publish stays pending and goes
            // out again, with the same id, after the reconnect (as after any connection lost before its ack).
            return;
        }

        if (pending.Kind == RequestKind.Publish && error.Code == ErrorCodes.PublishUnknown)
        {
            // Maybe published: sent again with the same id until the server knows, as after a lost ack.
            RetryLater(pending);
            return;
        }

        _pending.Remove(pending.Id);
        if (pending.Kind == RequestKind.Unsubscribe && error.Code == ErrorCodes.NotSubscribed)
        {
            // Already gone, which is what was asked.
            pending.Reply.TrySetResult(frame);
            return;
        }

        if (pending.Subscription is { } subscription && _subscriptions.TryGetValue(subscription.Channel, out var current) && current == subscription)
        {
            // A refused subscription ends; whoever reads it learns why.
            _subscriptions.Remove(subscription.Channel);
            subscription.Ready.TrySetException(error);
            subscription.Complete(error);
        }

        pending.Reply.TrySetException(error);
    }

    /// <summary>
    /// Sends a publish answered <c>publish_unknown</c> again, with the same id, after a backoff (the engine did not
    /// answer in time; hammering it would not help). Under the lock. A reconnect meanwhile sends it at once instead.
    /// </summary>
    private void RetryLater(PendingRequest pending)
    {
        pending.SentOn = null;
        var delay = Backoff.Delay(pending.UnknownOutcomes++, _options.ReconnectBaseDelay, _options.ReconnectMaxDelay, _random);
        _ = Task.Delay(delay).ContinueWith(
            _ =>
            {
                lock (_gate)
                {
                    if (!_disposed && pending.SentOn is null && _pending.ContainsKey(pending.Id) && _connection is { } connection)
                    {
                        Transmit(connection, pending);
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>The address with the current token as <c>access_token</c> (replacing one the address may carry).</summary>
    private Uri WithAccessToken(Uri uri)
    {
        string? token;
        lock (_gate)
        {
            token = _accessToken;
        }

        if (token is null)
        {
            return uri;
        }

        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("access_token=", StringComparison.OrdinalIgnoreCase) && !string.Equals(p, "access_token", StringComparison.OrdinalIgnoreCase))
            .Append("access_token=" + Uri.EscapeDataString(token));
        return new UriBuilder(uri) { Query = string.Join('&', query) }.Uri;
    }

    private static BroadcastException ToException(JsonElement frame) =>
        new(frame.String("code") ?? "unknown", frame.String("error") ?? "The server reported an error.");

    private void SetState(ConnectionStateChange change)
    {
        lock (_gate)
        {
            _state = change.State;
        }

        EventRaiser.Raise(StateChanged, this, change);
    }
}
