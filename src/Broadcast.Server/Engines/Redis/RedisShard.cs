using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// One Redis deployment the engine uses (a single server, or one Redis Cluster), through one connection
/// multiplexer: connecting, running an operation with its failure told apart (not sent, or outcome unknown),
/// pub/sub subscriptions, waiting for replicas. The engine has one per shard (<c>Broadcast:Redis:Shards</c>).
/// </summary>
internal sealed partial class RedisShard : IAsyncDisposable
{
    /// <summary>At most one "Redis operation failed" warning per this long; the rest are counted into the next one.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(5);

    private static readonly Version ShardedPubSubVersion = new(7, 0);

    private readonly string _configuration;
    private readonly RedisOptions _options;
    private readonly IEngineObserver _metrics;
    private readonly BackgroundRetry _retry;
    private readonly ILogger _logger;
    private readonly Action<RedisShard> _linkChanged;
    private readonly Lock _connectLock = new();
    private readonly Lock _warningLock = new();
    private Task<ConnectionMultiplexer>? _connection;
    private int _sharded = -1;
    private long _lastWarning = long.MinValue;
    private int _suppressedWarnings;

    public RedisShard(int index, string configuration, RedisOptions options, IEngineObserver metrics, BackgroundRetry retry, ILogger logger, Action<RedisShard> linkChanged)
    {
        Index = index;
        _configuration = configuration;
        _options = options;
        _metrics = metrics;
        _retry = retry;
        _logger = logger;
        _linkChanged = linkChanged;
    }

    /// <summary>This shard's place in <c>Broadcast:Redis:Shards</c> (0 for a single Redis).</summary>
    public int Index { get; }

    /// <summary>
    /// Connects so that a wrong address shows in the log at once, and waits (at most the operation timeout)
    /// for the pub/sub link too: the client reports itself connected once its command link is up, and a
    /// SUBSCRIBE made before the other link finishes its handshake fails with "no connection is available".
    /// Failures are retried by the next operation. Never throws.
    /// </summary>
    public async Task StartAsync()
    {
        try
        {
            var connection = await Connection();
            await PubSubLinkAsync(connection, default, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _retry.Failed("connect", ex);
        }
    }

    /// <summary>
    /// Runs one Redis operation; <paramref name="operation"/> gets the database and whether pub/sub is sharded.
    /// Throws <see cref="EngineUnavailableException"/> when Redis surely did not run it (not connected, or it
    /// refused the command), and <see cref="EngineOutcomeUnknownException"/> when it may have (a timeout, a
    /// stall, a connection lost with the command in flight).
    /// </summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, bool, Task<T>> operation)
    {
        var (connection, sharded) = await ReadyAsync();
        try
        {
            return await operation(connection.GetDatabase(), sharded).WaitAsync(_options.OperationTimeout);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Failure(ex);
        }
    }

    /// <summary>Subscribes to a pub/sub channel (its name depends on the flavour: <paramref name="channelFor"/> gets whether it is sharded).</summary>
    public async Task<ChannelMessageQueue> SubscribeAsync(Func<bool, RedisChannel> channelFor, CancellationToken cancellationToken)
    {
        var (connection, sharded) = await ReadyAsync();
        var channel = channelFor(sharded);
        await PubSubLinkAsync(connection, channel, cancellationToken);
        Task<ChannelMessageQueue>? subscribing = null;
        try
        {
            subscribing = connection.GetSubscriber().SubscribeAsync(channel);
            return await subscribing.WaitAsync(_options.OperationTimeout, cancellationToken);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            if (subscribing is not null)
            {
                _ = DropLateSubscriptionAsync(subscribing);
            }

            throw Failure(ex);
        }
    }

    /// <summary>
    /// Waits until <paramref name="replicas"/> replicas of the master that holds <paramref name="key"/> confirmed
    /// every write this node sent it so far (Redis <c>WAIT</c>). Throws <see cref="EngineOutcomeUnknownException"/>
    /// when fewer confirm within <paramref name="timeout"/>: the write is on the master, and may be lost in a failover.
    /// </summary>
    public async Task WaitForReplicasAsync(RedisKey key, int replicas, TimeSpan timeout)
    {
        var (connection, _) = await ReadyAsync();
        long confirmed;
        try
        {
            var server = connection.GetServer(key);
            confirmed = (long)await server.ExecuteAsync("WAIT", replicas, (long)timeout.TotalMilliseconds).WaitAsync(timeout + _options.OperationTimeout);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Unknown(ex);
        }

        if (confirmed < replicas)
        {
            _metrics.EngineError("redis", "ReplicasNotConfirmed");
            throw new EngineOutcomeUnknownException(
                $"Redis confirmed the publication on {confirmed} of {replicas} replicas within {timeout.TotalMilliseconds:0} ms: a failover may lose it.",
                new TimeoutException("WAIT " + replicas));
        }
    }

    /// <summary>True when Redis answers a PING within the operation timeout. Never throws, and logs nothing (readiness polls it).</summary>
    public async ValueTask<bool> IsAvailableAsync()
    {
        try
        {
            var (connection, _) = await ReadyAsync(log: false);
            await connection.GetDatabase().PingAsync().WaitAsync(_options.OperationTimeout);
            return true;
        }
        catch (EngineUnavailableException)
        {
            // Counted already.
            return false;
        }
        catch (Exception ex)
        {
            // Whatever went wrong, Redis did not answer: not ready. Counted, and logged with the rest (rate-limited).
            Record(ex, log: true);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is { IsCompletedSuccessfully: true } connected)
        {
            await connected.Result.DisposeAsync();
        }
    }

    /// <summary>
    /// Whether an exception from the Redis client means the operation failed: always. Besides RedisException
    /// and TimeoutException, StackExchange.Redis fails commands during a stall with InvalidOperationException
    /// ("Reading is not allowed after reader was completed", when it drops a socket that stopped answering),
    /// TaskCanceledException and ObjectDisposedException. None is a fault of this node or of a client's
    /// connection; each is the engine's documented failure, so no Redis fault ever closes a client with 1011.
    /// Only the calls to the client are guarded with it, never the code that reads their results.
    /// </summary>
    public static bool IsRedisFailure(Exception ex) => ex is not EngineUnavailableException;

    /// <summary>
    /// Whether Redis surely never ran the command: it was never written (no connection, or still waiting to be
    /// sent when it failed), or Redis answered with an error (a script that fails does so before it writes:
    /// ours check their input first). Everything else, a timeout above all, may have run.
    /// </summary>
    private static bool NeverRan(Exception ex) => ex switch
    {
        RedisServerException => true,
        RedisConnectionException { FailureType: ConnectionFailureType.UnableToResolvePhysicalConnection } => true,
        RedisConnectionException connection => connection.CommandStatus is CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog,
        RedisTimeoutException timeout => timeout.Commandstatus is CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog,
        _ => false,
    };

    private EngineUnavailableException Failure(Exception ex) => NeverRan(ex) ? Unavailable(ex) : Unknown(ex);

    private EngineUnavailableException Unavailable(Exception ex, bool log = true)
    {
        Record(ex, log);
        return new EngineUnavailableException("Redis is unreachable: " + ex.Message, ex);
    }

    private EngineOutcomeUnknownException Unknown(Exception ex)
    {
        Record(ex, log: true);
        return new EngineOutcomeUnknownException("Redis did not answer: " + ex.Message, ex);
    }

    /// <summary>Counts every failure; logs at most one warning per <see cref="WarningInterval"/>, saying how many it left out.</summary>
    private void Record(Exception ex, bool log)
    {
        _metrics.EngineError("redis", ex.GetType().Name);
        if (!log)
        {
            return;
        }

        int suppressed;
        lock (_warningLock)
        {
            var now = Environment.TickCount64;
            if (_lastWarning != long.MinValue && now - _lastWarning < (long)WarningInterval.TotalMilliseconds)
            {
                _suppressedWarnings++;
                return;
            }

            _lastWarning = now;
            suppressed = _suppressedWarnings;
            _suppressedWarnings = 0;
        }

        LogUnavailable(_logger, Index, ex.GetType().Name, ex.Message, suppressed);
    }

    /// <summary>The connection and the pub/sub flavour, once known (it is decided on the first connection that reaches a server).</summary>
    private async Task<(ConnectionMultiplexer Connection, bool Sharded)> ReadyAsync(bool log = true)
    {
        ConnectionMultiplexer connection;
        try
        {
            connection = await Connection().WaitAsync(_options.OperationTimeout);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Unavailable(ex, log);
        }

        var sharded = Volatile.Read(ref _sharded);
        if (sharded < 0)
        {
            var servers = connection.GetServers().Where(server => server.IsConnected).ToArray();
            if (servers.Length == 0)
            {
                throw Unavailable(new RedisConnectionException(ConnectionFailureType.UnableToConnect, "no Redis server is connected yet"), log);
            }

            var decided = _options.PubSub switch
            {
                RedisPubSub.Sharded => true,
                RedisPubSub.Classic => false,
                _ => servers.Any(server => server.ServerType == ServerType.Cluster) && servers.All(server => server.Version >= ShardedPubSubVersion),
            };
            var previous = Interlocked.CompareExchange(ref _sharded, decided ? 1 : 0, -1);
            sharded = previous >= 0 ? previous : decided ? 1 : 0;
            if (previous < 0)
            {
                LogPubSub(_logger, Index, decided ? "sharded (SPUBLISH)" : "classic (PUBLISH)");
            }
        }

        return (connection, sharded == 1);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_configuration);
        // Keep retrying in the background rather than failing start-up: the node serves its local
        // connections and reports "not ready" until Redis is back.
        configuration.AbortOnConnectFail = false;
        // Fail commands at once while disconnected instead of queueing them: a publisher must hear
        // about an outage now, and nothing may pile up in memory meanwhile.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = (int)_options.OperationTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)_options.OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)_options.OperationTimeout.TotalMilliseconds;
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        // The client swallows what its event handlers throw; caught here anyway, to be logged and counted.
        connection.ConnectionFailed += (_, e) => OnLinkEvent(() => LogConnectionFailed(_logger, Index, e.EndPoint?.ToString() ?? "?", e.ConnectionType.ToString(), e.FailureType.ToString()));
        connection.ConnectionRestored += (_, e) => OnLinkEvent(() => LogConnectionRestored(_logger, Index, e.EndPoint?.ToString() ?? "?", e.ConnectionType.ToString()));
        // A Cluster's topology changed (a failover promoted a replica, slots moved).
        connection.ConfigurationChanged += (_, e) => OnLinkEvent(() => LogTopologyChanged(_logger, Index, e.EndPoint?.ToString() ?? "?"));
        return connection;
    }

    /// <summary>
    /// A link went down or came back, or the topology changed: publications sent meanwhile may never have
    /// arrived, and a promoted replica may lack some: the engine checks every channel it listens to.
    /// </summary>
    private void OnLinkEvent(Action log)
    {
        try
        {
            log();
            _linkChanged(this);
        }
        catch (Exception ex)
        {
            _retry.Failed("connection_event", ex);
        }
    }

    /// <summary>
    /// The connection, made once. Should making it ever fail (the client gives up only on a configuration it
    /// cannot use; start-up validation catches those), the next operation tries again rather than the node
    /// staying unable to reach Redis until it is restarted.
    /// </summary>
    private Task<ConnectionMultiplexer> Connection()
    {
        lock (_connectLock)
        {
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled)
            {
                _connection = Task.Run(ConnectAsync);
            }

            return _connection;
        }
    }

    /// <summary>
    /// Waits, at most the operation timeout, while the command link is up but the pub/sub link that serves
    /// <paramref name="channel"/> is not (still in its handshake after start-up, or reconnecting after a blip):
    /// the client refuses a SUBSCRIBE meanwhile with "no connection is available", which a subscriber would be
    /// told as engine_unavailable although Redis is fine. Returns at once in the usual case; never throws but
    /// for cancellation (the SUBSCRIBE that follows reports a link that stayed down).
    /// </summary>
    private async Task PubSubLinkAsync(ConnectionMultiplexer connection, RedisChannel channel, CancellationToken cancellationToken)
    {
        var subscriber = connection.GetSubscriber();
        var deadline = Environment.TickCount64 + (long)_options.OperationTimeout.TotalMilliseconds;
        while (connection.IsConnected && !subscriber.IsConnected(channel) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>A subscription that Redis confirms after the caller gave up: nobody reads its queue, so drop it.</summary>
    private static async Task DropLateSubscriptionAsync(Task<ChannelMessageQueue> subscribing)
    {
        try
        {
            var queue = await subscribing;
            await queue.UnsubscribeAsync();
        }
        catch (Exception)
        {
            // It never subscribed, or the link is down and the subscription went with it.
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Redis shard {Shard}: connection to {EndPoint} failed ({ConnectionType}): {FailureType}")]
    private static partial void LogConnectionFailed(ILogger logger, int shard, string endPoint, string connectionType, string failureType);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Redis shard {Shard}: connection to {EndPoint} restored ({ConnectionType})")]
    private static partial void LogConnectionRestored(ILogger logger, int shard, string endPoint, string connectionType);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Redis shard {Shard}: operation failed: {ErrorType}: {Reason} ({Suppressed} more failures since the last warning)")]
    private static partial void LogUnavailable(ILogger logger, int shard, string errorType, string reason, int suppressed);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Redis shard {Shard}: topology changed ({EndPoint})")]
    private static partial void LogTopologyChanged(ILogger logger, int shard, string endPoint);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Redis shard {Shard}: pub/sub is {Flavour}")]
    private static partial void LogPubSub(ILogger logger, int shard, string flavour);
}
