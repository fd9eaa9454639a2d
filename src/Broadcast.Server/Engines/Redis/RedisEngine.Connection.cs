using System.Security.Cryptography;
using System.Text.Json;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

public sealed partial class RedisEngine
{
    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.Configuration!);
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
        connection.ConnectionFailed += (_, e) =>
        {
            try
            {
                LogConnectionFailed(_logger, e.ConnectionType.ToString(), e.FailureType.ToString());
            }
            catch (Exception ex)
            {
                _retry.Failed("connection_event", ex);
            }
        };
        connection.ConnectionRestored += (_, e) =>
        {
            try
            {
                LogConnectionRestored(_logger, e.ConnectionType.ToString());
                if (e.ConnectionType == ConnectionType.Subscription)
                {
                    // Publications sent while this node's pub/sub link was down never arrived: fetch them.
                    foreach (var listener in _listeners.Values)
                    {
                        listener.RequestCatchUp();
                    }
                }
            }
            catch (Exception ex)
            {
                _retry.Failed("connection_event", ex);
            }
        };
        return connection;
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

    private async Task<ConnectionMultiplexer> GetConnectionAsync()
    {
        try
        {
            return await Connection().WaitAsync(_options.OperationTimeout);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Runs one Redis operation; every Redis failure becomes <see cref="EngineUnavailableException"/>.</summary>
    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation)
    {
        var connection = await GetConnectionAsync();
        try
        {
            return await operation(connection.GetDatabase()).WaitAsync(_options.OperationTimeout);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Unavailable(ex);
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
    private static bool IsRedisFailure(Exception ex) => ex is not EngineUnavailableException;

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

    private EngineUnavailableException Unavailable(Exception ex)
    {
        LogUnavailable(_logger, ex.GetType().Name, ex.Message);
        _metrics.EngineError("redis", ex.GetType().Name);
        return new EngineUnavailableException("Redis is unreachable: " + ex.Message, ex);
    }

    private static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static long ToMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    private static DateTime FromMicroseconds(long microseconds) => new(DateTime.UnixEpoch.Ticks + (microseconds * 10), DateTimeKind.Utc);

    private long PresenceExpiryMs() => (_clock.GetUtcNow() + _options.PresenceTtl).ToUnixTimeMilliseconds();

    private static string SerializeMember(PresenceMember member) =>
        JsonSerializer.Serialize(new StoredMember(member.ClientKey, member.Session, member.Name, member.User), StoredMemberContext.Default.StoredMember);

    private static PresenceMember DeserializeMember(string json)
    {
        var stored = JsonSerializer.Deserialize(json, StoredMemberContext.Default.StoredMember)!;
        return new PresenceMember(stored.K, stored.S, stored.N, stored.U);
    }

    /// <summary>A stream entry: id <c>{offset}-1</c>, fields o (origin), t (µs), m (escaped message).</summary>
    private static Publication ParseEntry(string channel, string epoch, RedisResult[] entry)
    {
        var id = (string)entry[0]!;
        var offset = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        var fields = (RedisResult[])entry[1]!;
        string origin = "";
        long micros = 0;
        byte[] message = [];
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            switch ((string)fields[i]!)
            {
                case "o":
                    origin = (string)fields[i + 1]!;
                    break;
                case "t":
                    micros = (long)fields[i + 1];
                    break;
                case "m":
                    message = (byte[])fields[i + 1]!;
                    break;
            }
        }

        return new Publication(channel, epoch, offset, origin, FromMicroseconds(micros), message);
    }

    /// <summary>
    /// One round of <see cref="RefreshPresenceAsync"/>, retried with backoff until it goes through: a round
    /// lost to an outage would let the members expire while their clients are still connected. A tick that
    /// comes while a round is still retrying is skipped; that round refreshes everyone anyway.
    /// </summary>
    private async Task RefreshPresenceRoundAsync()
    {
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            await _retry.RunAsync("presence_refresh", _ => RefreshPresenceAsync(), _disposed.Token);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    /// <summary>
    /// Keeps this node's presence entries alive, one script per channel; a node that dies stops refreshing
    /// and its entries expire: removed by another node's refresh of the channel, or with the channel's
    /// keys when no node refreshes them any more. Nobody has to read presence for that.
    /// </summary>
    private async ValueTask RefreshPresenceAsync()
    {
        var now = _clock.GetUtcNow();
        var expiry = (now + _options.PresenceTtl).ToUnixTimeMilliseconds();
        foreach (var (channel, members) in _localPresence)
        {
            if (members.IsEmpty)
            {
                continue;
            }

            RedisValue[] arguments = [expiry, now.ToUnixTimeMilliseconds(), PresenceKeyTtlMs, .. members.Keys.Select(key => (RedisValue)key)];
            await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.RefreshPresence, [_keys.Presence(channel), _keys.PresenceExpiry(channel)], arguments));
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Redis connection failed ({ConnectionType}): {FailureType}")]
    private static partial void LogConnectionFailed(ILogger logger, string connectionType, string failureType);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Redis connection restored ({ConnectionType})")]
    private static partial void LogConnectionRestored(ILogger logger, string connectionType);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Redis operation failed: {ErrorType}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string errorType, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Channel {Channel}: history lost on Redis (epoch {OldEpoch} → {NewEpoch})")]
    private static partial void LogEpochChanged(ILogger logger, string channel, string? oldEpoch, string newEpoch);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Channel {Channel}: could not fill a gap after offset {Offset}: {Reason}")]
    private static partial void LogGapNotFilled(ILogger logger, string channel, long offset, string reason);
}
