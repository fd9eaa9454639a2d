using System.Security.Cryptography;
using System.Text.Json;
using Broadcast.Server.Channels;
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
        connection.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.ConnectionType.ToString(), e.FailureType.ToString());
        connection.ConnectionRestored += (_, e) =>
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
        };
        return connection;
    }

    private async Task<ConnectionMultiplexer> GetConnectionAsync()
    {
        try
        {
            return await _connection.Value.WaitAsync(_options.OperationTimeout);
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

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException;

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
    /// Keeps this node's presence entries alive, one script per channel; a node that dies stops refreshing
    /// and its entries expire: removed by another node's refresh of the channel, or with the channel's
    /// keys when no node refreshes them any more. Nobody has to read presence for that.
    /// </summary>
    private async Task RefreshPresenceAsync()
    {
        try
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
        catch (EngineUnavailableException)
        {
            // Already logged; the next round tries again.
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
