using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The engine for several nodes: channel state lives in Redis, so any node can serve any client and a
/// client can resume on a different node from the one it left. Offsets, history (a Redis Stream per
/// channel), idempotency keys and the pub/sub notification are written by one Lua script per publish;
/// a node subscribes (pub/sub) only to the channels it has local subscribers for.
/// </summary>
/// <remarks>
/// Failures are loud, never silent: while Redis is unreachable every operation throws
/// <see cref="EngineUnavailableException"/> at once (commands are not queued), publishers get an error,
/// readiness turns 503. Pub/sub is at-most-once, so a node watches each channel's offsets and fills
/// any gap (a dropped connection, a missed message) from the stream before delivering further.
/// No Redis fault stops the node: whatever the Redis client throws is that failure (never a fault of a
/// client's connection), and the engine's background work (presence refresh, catching up after a
/// reconnect, pub/sub handlers) survives any exception and is retried by <see cref="BackgroundRetry"/>.
/// </remarks>
public sealed partial class RedisEngine : IStreamEngine, IPresenceEngine, INodeDirectory, IAsyncDisposable
{
    private readonly IEngineListener _hub;
    private readonly TimeProvider _clock;
    private readonly StreamOptions _channelOptions;
    private readonly RedisOptions _options;
    private readonly RedisKeys _keys;
    private readonly ILogger<RedisEngine> _logger;
    private readonly IEngineObserver _metrics;
    private readonly BackgroundRetry _retry;
    private readonly ConcurrentDictionary<string, ChannelListener> _listeners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _subscriptionGates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, PresenceMember>> _localPresence = new(StringComparer.Ordinal);
    private readonly Lock _connectLock = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly ITimer _presenceRefresh;
    private Task<ConnectionMultiplexer>? _connection;
    private int _refreshing;

    public RedisEngine(IEngineListener hub, TimeProvider clock, IOptions<StreamOptions> channelOptions, IOptions<RedisOptions> options, IEngineObserver metrics, BackgroundRetry retry, ILogger<RedisEngine> logger)
    {
        _metrics = metrics;
        _retry = retry;
        _hub = hub;
        _clock = clock;
        _channelOptions = channelOptions.Value;
        _options = options.Value;
        _keys = new RedisKeys(_options.Prefix);
        _logger = logger;
        var refreshEvery = _options.PresenceTtl / 3;
        _presenceRefresh = clock.CreateTimer(_ => _ = RefreshPresenceRoundAsync(), null, refreshEvery, refreshEvery);
    }

    /// <summary>A channel's presence keys outlive their last refresh by two member lifetimes (refreshes come every third of one).</summary>
    private long PresenceKeyTtlMs => (long)(_options.PresenceTtl * 2).TotalMilliseconds;

    private long MetaTtlMs => (long)Math.Max(_channelOptions.HistoryTtl.TotalMilliseconds, TimeSpan.FromHours(24).TotalMilliseconds);

    /// <summary>Connects at start-up so a wrong address shows in the log at once; failures are retried in the background. Never throws.</summary>
    public async Task StartAsync()
    {
        try
        {
            await Connection();
        }
        catch (Exception ex)
        {
            // The next operation connects again (see Connection()).
            _retry.Failed("connect", ex);
        }
    }

    public async ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, byte[] escapedMessage, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        var result = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.Publish,
            [_keys.Meta(channel), _keys.Stream(channel), messageId is null ? (RedisKey)string.Empty : _keys.MessageId(channel, origin, messageId)],
            [
                _keys.Events(channel).ToString(),
                origin,
                escapedMessage,
                ToMicroseconds(now),
                _channelOptions.HistorySize,
                (long)_channelOptions.HistoryTtl.TotalMilliseconds,
                MetaTtlMs,
                (long)_channelOptions.IdempotencyWindow.TotalMilliseconds,
                NewEpoch(),
                ToMicroseconds(now - _channelOptions.HistoryTtl),
            ])))!;
        return new PublishResult(new StreamPosition((string)result[0]!, (long)result[1]), Duplicate: (long)result[2] == 1);
    }

    public async ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        var result = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.ReadHistory,
            [_keys.Meta(channel), _keys.Stream(channel)],
            [sinceOffset, limit, NewEpoch(), MetaTtlMs, ToMicroseconds(now - _channelOptions.HistoryTtl), KeepsChannel(channel) ? 1 : 0])))!;
        var epoch = (string)result[0]!;
        var top = (long)result[1];
        var first = (long)result[2];
        var entries = (RedisResult[])result[3]!;
        var publications = new Publication[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            publications[i] = ParseEntry(channel, epoch, (RedisResult[])entries[i]!);
        }

        var firstRetained = first < 0 ? top + 1 : first;
        return new HistoryResult(new StreamPosition(epoch, top), publications, Truncated: sinceOffset + 1 < firstRetained);
    }

    /// <summary>
    /// Whether reading the channel must give it a stored epoch: only when this node has subscribers to it. A
    /// subscriber (always in the hub before its history is read) must see the epoch the first publication
    /// will carry, or it would be told <c>unrecovered</c> for nothing; a read-only request (history over
    /// the protocol or HTTP) needs no such promise, and must not leave a key in Redis for every channel it names.
    /// </summary>
    private bool KeepsChannel(string channel) => _hub.HasLocalSubscribers(channel);

    public ValueTask SubscribeNodeAsync(string channel, CancellationToken cancellationToken) => ReconcileAsync(channel, cancellationToken);

    public ValueTask UnsubscribeNodeAsync(string channel, CancellationToken cancellationToken) => ReconcileAsync(channel, cancellationToken);

    /// <summary>
    /// Makes this node's pub/sub subscription match the hub: subscribed while the channel has local
    /// subscribers, not otherwise. Serialized per channel, so a last subscriber leaving while a new one
    /// arrives can never leave the node unsubscribed (or subscribed twice); and a subscriber that arrives
    /// while the first one's subscription is still being set up waits for it to be live.
    /// </summary>
    private async ValueTask ReconcileAsync(string channel, CancellationToken cancellationToken)
    {
        var gate = _subscriptionGates.GetOrAdd(channel, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var wanted = _hub.HasLocalSubscribers(channel);
            var listening = _listeners.TryGetValue(channel, out var listener);
            if (wanted && !listening)
            {
                var connection = await GetConnectionAsync();
                var created = new ChannelListener(this, channel);
                Task<ChannelMessageQueue>? subscribing = null;
                try
                {
                    subscribing = connection.GetSubscriber().SubscribeAsync(_keys.Events(channel));
                    created.Start(await subscribing.WaitAsync(_options.OperationTimeout, cancellationToken));
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                    if (subscribing is not null)
                    {
                        _ = DropLateSubscriptionAsync(subscribing);
                    }

                    throw Unavailable(ex);
                }

                _listeners[channel] = created;
            }
            else if (!wanted && listening)
            {
                _listeners.TryRemove(channel, out _);
                await listener!.StopAsync();
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        _localPresence.GetOrAdd(channel, _ => new ConcurrentDictionary<string, PresenceMember>(StringComparer.Ordinal))[member.ClientKey] = member;
        await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.Join,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel)],
            [_keys.Events(channel).ToString(), member.ClientKey, SerializeMember(member), PresenceExpiryMs(), PresenceKeyTtlMs]));
    }

    public async ValueTask LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        if (_localPresence.TryGetValue(channel, out var members))
        {
            members.TryRemove(member.ClientKey, out _);
        }

        await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.Leave,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel)],
            [_keys.Events(channel).ToString(), member.ClientKey, SerializeMember(member)]));
    }

    public async ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken)
    {
        var values = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.GetPresence,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel)],
            [_clock.GetUtcNow().ToUnixTimeMilliseconds()])))!;
        return [.. values.Select(value => DeserializeMember((string)value!))];
    }

    public async ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.ReportNode,
            [_keys.Nodes(), _keys.NodesExpiry()],
            [report.Id, JsonSerializer.Serialize(report, NodeReportContext.Default.NodeReport), (now + _options.PresenceTtl).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds()]));
    }

    public async ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken)
    {
        var values = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.GetNodes,
            [_keys.Nodes(), _keys.NodesExpiry()],
            [_clock.GetUtcNow().ToUnixTimeMilliseconds()])))!;
        return [.. values.Select(value => JsonSerializer.Deserialize((string)value!, NodeReportContext.Default.NodeReport)!).OrderBy(n => n.Id, StringComparer.Ordinal)];
    }

    /// <summary>True when Redis answers a PING within the operation timeout. Never throws (readiness asks it).</summary>
    public async ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(db => db.PingAsync());
            return true;
        }
        catch (Exception)
        {
            // Whatever went wrong, Redis did not answer: not ready.
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        foreach (var listener in _listeners.Values)
        {
            await listener.CancelBackgroundWorkAsync();
        }

        await _presenceRefresh.DisposeAsync();
        if (_connection is { IsCompletedSuccessfully: true } connected)
        {
            await connected.Result.DisposeAsync();
        }
    }
}
