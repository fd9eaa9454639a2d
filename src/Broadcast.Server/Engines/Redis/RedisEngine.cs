using System.Collections.Concurrent;
using System.Security.Cryptography;
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
/// <para>Where: one Redis, a Redis Cluster (every key of a channel shares the hash tag <c>{channel}</c>, so each
/// script is single-slot; pub/sub is sharded there, so a publication reaches only the Redis node of its slot),
/// or several independent Redis shards (<c>Broadcast:Redis:Shards</c>), each channel on one of them by a stable
/// hash (<see cref="ShardPlacement"/>).</para>
/// <para>Failures are loud, never silent: while Redis is unreachable every operation throws
/// <see cref="EngineUnavailableException"/> at once (commands are not queued), and one that may have run (a
/// timeout, a stall) throws <see cref="EngineOutcomeUnknownException"/>; readiness turns 503. Pub/sub is
/// at-most-once, so a node watches each channel's offsets and fills any gap from the stream before delivering
/// further. A stream that went backwards (a failover to a replica that lacked acknowledged publications) starts
/// a new epoch (<see cref="ChannelMarks"/>) rather than reuse offsets. No Redis fault stops the node: the
/// engine's background work survives any exception and is retried by <see cref="BackgroundRetry"/>.</para>
/// </remarks>
public sealed partial class RedisEngine : IStreamEngine, IPresenceEngine, INodeDirectory, IAsyncDisposable
{
    /// <summary>Locks that serialize a channel's node subscription: a fixed set, shared by hash, so nothing grows with the channels ever seen.</summary>
    private const int SubscriptionGateCount = 1024;

    private readonly IEngineListener _hub;
    private readonly TimeProvider _clock;
    private readonly StreamOptions _channelOptions;
    private readonly RedisOptions _options;
    private readonly RedisKeys _keys;
    private readonly ILogger<RedisEngine> _logger;
    private readonly IEngineObserver _metrics;
    private readonly BackgroundRetry _retry;
    private readonly RedisShard[] _shards;
    private readonly ChannelMarks _marks = new();
    private readonly ConcurrentDictionary<string, ChannelListener> _listeners = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim[] _subscriptionGates = [.. Enumerable.Range(0, SubscriptionGateCount).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly CancellationTokenSource _disposed = new();
    private readonly ITimer _presenceRefresh;
    private readonly ITimer _presenceSweep;
    private readonly ConcurrentBag<RedisDeliveryQueue> _queues = [];

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
        var configurations = _options.ShardConfigurations();
        if (configurations.Count == 0)
        {
            throw new InvalidOperationException("The Redis engine needs Broadcast:Redis:Configuration or Broadcast:Redis:Shards.");
        }

        _shards = [.. configurations.Select((configuration, index) => new RedisShard(index, configuration, _options, metrics, retry, logger, OnLinkChanged))];
        var refreshEvery = _options.PresenceTtl / 3;
        _presenceRefresh = clock.CreateTimer(_ => _ = RefreshPresenceRoundAsync(), null, refreshEvery, refreshEvery);

        // Half a member lifetime: a dead node's members are reported within about 1.5 TTL of its last refresh (the
        // channel's keys outlive them by far longer, PresenceRetention, so a sweep that comes late still finds them).
        var sweepEvery = _options.PresenceTtl / 2;
        _presenceSweep = clock.CreateTimer(_ => _ = SweepPresenceRoundAsync(), null, sweepEvery, sweepEvery);
    }

    /// <summary>What a join or leave decided is kept two member lifetimes (refreshes come every third of one), to answer its retry.</summary>
    private long PresenceKeyTtlMs => (long)(_options.PresenceTtl * 2).TotalMilliseconds;

    /// <summary>
    /// How long a channel's presence keys outlive their last join or refresh: a member expires by its score after one
    /// <c>PresenceTtl</c>, but its entry must stay until a sweep (or a refresh, read, join or leave) removes it and
    /// reports it left. Sweeps held back past the member's expiry (retry backoff, an outage, every node down for a
    /// while) still find it, for a day; only channels no node touches for that long go unreported, with their keys.
    /// </summary>
    internal static readonly TimeSpan PresenceRetention = TimeSpan.FromDays(1);

    private long PresenceRetentionMs => (long)Math.Max(PresenceRetention.TotalMilliseconds, (_options.PresenceTtl * 2).TotalMilliseconds);

    private TimeSpan MetaTtl => TimeSpan.FromMilliseconds(Math.Max(_channelOptions.HistoryTtl.TotalMilliseconds, TimeSpan.FromHours(24).TotalMilliseconds));

    /// <summary>The shard that holds what belongs to no channel: the node directory and session owners.</summary>
    private RedisShard Home => _shards[0];

    /// <summary>Connects to every shard at start-up so a wrong address shows in the log at once; failures are retried in the background. Never throws.</summary>
    public Task StartAsync() => Task.WhenAll(_shards.Select(shard => shard.StartAsync()));

    public async ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken)
    {
        var shard = ShardOf(channel);
        var mark = _marks.Of(channel);
        var now = _clock.GetUtcNow();
        RedisKey[] keys = messageId is null
            ? [_keys.Meta(channel), _keys.Stream(channel)]
            : [_keys.Meta(channel), _keys.Stream(channel), _keys.MessageId(channel, origin, messageId)];
        var result = (RedisResult[])(await shard.RunAsync((db, sharded) => db.ScriptEvaluateAsync(
            RedisScripts.Publish,
            keys,
            [
                _keys.Events(channel, sharded).ToString(),
                origin,
                payload.Bytes,
                ToMicroseconds(now),
                _channelOptions.HistorySize,
                (long)_channelOptions.HistoryTtl.TotalMilliseconds,
                (long)MetaTtl.TotalMilliseconds,
                (long)_channelOptions.IdempotencyWindow.TotalMilliseconds,
                NewEpoch(),
                ToMicroseconds(now - _channelOptions.HistoryTtl),
                PublishCommand(sharded),
                mark.Epoch,
                mark.Offset,
                RedisEntries.StreamField(payload.Kind),
                RedisEntries.PubSubTag(payload.Kind),
            ])))!;
        var position = new StreamPosition((string)result[0]!, (long)result[1]);
        var duplicate = (long)result[2] == 1;
        if ((long)result[3] == 1)
        {
            LogStreamWentBack(_logger, channel, mark.Epoch, mark.Offset, position.Epoch);
        }

        _marks.Observe(channel, position, current: !duplicate);
        if (_options.SyncReplicas > 0)
        {
            await shard.WaitForReplicasAsync(keys[0], _options.SyncReplicas, _options.SyncTimeout);
        }

        return new PublishResult(position, duplicate);
    }

    public ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken) =>
        ReadHistoryAsync(channel, sinceOffset, limit, keep: KeepsChannel(channel));

    /// <param name="keep">Store a new channel's epoch and keep its meta alive (see <see cref="KeepsChannel"/>).</param>
    private async ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, bool keep)
    {
        var now = _clock.GetUtcNow();
        var mark = _marks.Of(channel);
        var result = (RedisResult[])(await ShardOf(channel).RunAsync((db, _) => db.ScriptEvaluateAsync(
            RedisScripts.ReadHistory,
            [_keys.Meta(channel), _keys.Stream(channel)],
            [sinceOffset, limit, NewEpoch(), (long)MetaTtl.TotalMilliseconds, ToMicroseconds(now - _channelOptions.HistoryTtl), keep ? 1 : 0, mark.Epoch, mark.Offset])))!;
        var epoch = (string)result[0]!;
        var top = (long)result[1];
        var first = (long)result[2];
        var entries = (RedisResult[])result[3]!;
        if ((long)result[4] == 1)
        {
            LogStreamWentBack(_logger, channel, mark.Epoch, mark.Offset, epoch);
        }

        var publications = new Publication[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            publications[i] = RedisEntries.Parse(channel, epoch, (RedisResult[])entries[i]!);
        }

        if (top > 0)
        {
            // (At offset 0 there is nothing to protect, and a read-only request's unknown channel has an unstored epoch.)
            _marks.Observe(channel, new StreamPosition(epoch, top));
        }

        var firstRetained = first < 0 ? top + 1 : first;
        return new HistoryResult(new StreamPosition(epoch, top), publications, Truncated: sinceOffset + 1 < firstRetained);
    }

    /// <summary>
    /// Starts a new epoch of <paramref name="channel"/> if it is still in <paramref name="reusedEpoch"/>: a node
    /// received a publication under an offset it had delivered with other content (a failover went backwards
    /// and a node that had not seen the lost publications published again).
    /// </summary>
    private async Task StartNewEpochAsync(string channel, string reusedEpoch)
    {
        var epoch = (string)(await ShardOf(channel).RunAsync((db, _) => db.ScriptEvaluateAsync(
            RedisScripts.NewEpochIf,
            [_keys.Meta(channel), _keys.Stream(channel)],
            [reusedEpoch, NewEpoch()])))!;
        LogStreamWentBack(_logger, channel, reusedEpoch, -1, epoch);
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
        var gate = _subscriptionGates[(int)((uint)StringComparer.Ordinal.GetHashCode(channel) % SubscriptionGateCount)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var wanted = _hub.HasLocalSubscribers(channel);
            var listening = _listeners.TryGetValue(channel, out var listener);
            if (wanted && !listening)
            {
                var shard = ShardOf(channel);
                var created = new ChannelListener(this, shard, channel);
                created.Start(await shard.SubscribeAsync(sharded => _keys.Events(channel, sharded), cancellationToken));
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

    public async ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        await Home.RunAsync((db, _) => db.ScriptEvaluateAsync(
            RedisScripts.ReportNode,
            [_keys.Nodes(), _keys.NodesExpiry()],
            [report.Id, JsonSerializer.Serialize(report, NodeReportContext.Default.NodeReport), (now + _options.PresenceTtl).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds()]));
    }

    public async ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken)
    {
        var values = (RedisResult[])(await Home.RunAsync((db, _) => db.ScriptEvaluateAsync(
            RedisScripts.GetNodes,
            [_keys.Nodes(), _keys.NodesExpiry()],
            [_clock.GetUtcNow().ToUnixTimeMilliseconds()])))!;
        return [.. values.Select(value => JsonSerializer.Deserialize((string)value!, NodeReportContext.Default.NodeReport)!).OrderBy(n => n.Id, StringComparer.Ordinal)];
    }

    /// <summary>True when every shard answers a PING within the operation timeout. Never throws (readiness asks it).</summary>
    public async ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken)
    {
        if (_shards.Length == 1)
        {
            return await Home.IsAvailableAsync();
        }

        var answers = await Task.WhenAll(_shards.Select(shard => shard.IsAvailableAsync().AsTask()));
        return answers.All(available => available);
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        foreach (var listener in _listeners.Values)
        {
            await listener.CancelBackgroundWorkAsync();
        }

        await _presenceRefresh.DisposeAsync();
        await _presenceSweep.DisposeAsync();
        foreach (var queue in _queues)
        {
            await queue.DisposeAsync();
        }

        foreach (var shard in _shards)
        {
            await shard.DisposeAsync();
        }
    }

    private RedisShard ShardOf(string channel) => _shards.Length == 1 ? Home : _shards[ShardPlacement.ShardOf(channel, _shards.Length)];

    /// <summary>A shard's link went down or came back, or its topology changed: every channel this node listens to there checks what it missed.</summary>
    private void OnLinkChanged(RedisShard shard)
    {
        foreach (var listener in _listeners.Values)
        {
            if (listener.Shard == shard)
            {
                listener.RequestCatchUp();
            }
        }
    }

    private static string PublishCommand(bool sharded) => sharded ? "SPUBLISH" : "PUBLISH";

    private static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static long ToMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Channel {Channel}: history lost on Redis (epoch {OldEpoch} → {NewEpoch})")]
    private static partial void LogEpochChanged(ILogger logger, string channel, string? oldEpoch, string newEpoch);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Channel {Channel}: could not fill a gap after offset {Offset}: {Reason}")]
    private static partial void LogGapNotFilled(ILogger logger, string channel, long offset, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Channel {Channel}: Redis is behind what this node saw (epoch {Epoch} offset {Offset}): a failover lost publications; new epoch {NewEpoch}")]
    private static partial void LogStreamWentBack(ILogger logger, string channel, string epoch, long offset, string newEpoch);
}
