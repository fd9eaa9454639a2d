using System.Threading.Channels;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// A delivery queue shared by every node: a Redis Stream (capped with <c>MAXLEN ~</c>) read through one consumer
/// group, so each entry is taken by exactly one node, and stays in the group's pending list until that node
/// acknowledges it (<c>XACK</c>). An entry whose node stopped touching it (it died) for
/// <see cref="DeliveryQueueLimits.ClaimIdle"/> is taken over by whichever node looks next (<c>XAUTOCLAIM</c>),
/// which is also how a restarted deployment resumes what was pending.
/// </summary>
/// <remarks>
/// Appending never waits on Redis: entries go to a bounded buffer in this process, moved to the stream in the
/// background (and retried while Redis is away), so only what is in that buffer dies with the process.
/// </remarks>
internal sealed partial class RedisDeliveryQueue : IDeliveryQueue, IAsyncDisposable
{
    private const string Group = "delivery";
    private const string Field = "e";

    /// <summary>How long a stopping node keeps handing its buffered entries to Redis (while Redis answers, that takes a moment; while it does not, they are lost after this).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>KEYS: stream. ARGV: group, consumer, ids. Touches (resets the idle time of) those ids still pending with this consumer; returns them.</summary>
    private const string KeepScript = """
        local kept = {}
        for i = 3, #ARGV do
          local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
          if pending[1] and pending[1][2] == ARGV[2] then
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
            kept[#kept + 1] = ARGV[i]
          end
        end
        return kept
        """;

    private readonly RedisShard _shard;
    private readonly RedisKey _key;
    private readonly string _consumer;
    private readonly DeliveryQueueLimits _limits;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _buffer;
    private readonly CancellationTokenSource _stopped = new();
    private readonly Task _pump;
    private bool _groupReady;
    private string _claimCursor = "0-0";
    private long _nextClaim;

    public RedisDeliveryQueue(RedisShard shard, RedisKey key, string consumer, DeliveryQueueLimits limits, ILogger logger)
    {
        _shard = shard;
        _key = key;
        _consumer = consumer;
        _limits = limits;
        _logger = logger;
        // Wait, not DropWrite: with a Drop mode TryWrite says true for an entry it dropped (only TryWrite is used: nothing waits).
        _buffer = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(limits.Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _pump = Task.Run(PumpAsync);
    }

    public long Buffered => _buffer.Reader.Count;

    public bool TryAppend(byte[] entry) => _buffer.Writer.TryWrite(entry);

    public async ValueTask<IReadOnlyList<QueuedEntry>> TakeAsync(int max, CancellationToken cancellationToken)
    {
        await EnsureGroupAsync();
        try
        {
            var taken = new List<QueuedEntry>();
            if (Environment.TickCount64 >= _nextClaim)
            {
                // Entries a dead node took: claimed once they have been idle for ClaimIdle.
                var claimed = await _shard.RunAsync((db, _) => db.StreamAutoClaimAsync(_key, Group, _consumer, (long)_limits.ClaimIdle.TotalMilliseconds, _claimCursor, max));
                _claimCursor = claimed.NextStartId.IsNullOrEmpty ? "0-0" : (string)claimed.NextStartId!;
                if (_claimCursor == "0-0")
                {
                    // Went through the whole pending list: the next look is due when what is pending now could have gone idle.
                    _nextClaim = Environment.TickCount64 + (long)(_limits.ClaimIdle.TotalMilliseconds / 2);
                }

                taken.AddRange(Entries(claimed.ClaimedEntries));
            }

            if (taken.Count < max)
            {
                var fresh = await _shard.RunAsync((db, _) => db.StreamReadGroupAsync(_key, Group, _consumer, StackExchange.Redis.StreamPosition.NewMessages, max - taken.Count));
                taken.AddRange(Entries(fresh));
            }

            return taken;
        }
        catch (EngineUnavailableException ex) when (IsServerError(ex, "NOGROUP"))
        {
            // Redis lost its data (a restart without persistence): the group is made again at the next look.
            _groupReady = false;
            return [];
        }
    }

    public async Task WaitAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        // XREADGROUP cannot block on a shared multiplexer: look again soon, sooner when this node appended something.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(atMost < TimeSpan.FromMilliseconds(250) ? atMost : TimeSpan.FromMilliseconds(250));
        try
        {
            await Task.Delay(Timeout.Infinite, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Time to look again.
        }
    }

    public async ValueTask<IReadOnlyList<QueuedEntry>> KeepAsync(IReadOnlyList<QueuedEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return entries;
        }

        var arguments = new RedisValue[2 + entries.Count];
        arguments[0] = Group;
        arguments[1] = _consumer;
        for (var i = 0; i < entries.Count; i++)
        {
            arguments[2 + i] = entries[i].Id;
        }

        var kept = (RedisResult[])(await _shard.RunAsync((db, _) => db.ScriptEvaluateAsync(KeepScript, [_key], arguments)))!;
        var ids = kept.Select(id => (string)id!).ToHashSet(StringComparer.Ordinal);
        return [.. entries.Where(entry => ids.Contains(entry.Id))];
    }

    public async ValueTask AcknowledgeAsync(IReadOnlyList<QueuedEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count > 0)
        {
            RedisValue[] ids = [.. entries.Select(entry => (RedisValue)entry.Id)];
            await _shard.RunAsync((db, _) => db.StreamAcknowledgeAsync(_key, Group, ids));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // What is buffered goes to Redis first, for a bounded time: a node that stops gracefully has just closed
        // its connections, and the leaves and vacated events they made are still here. Later appends are refused.
        _buffer.Writer.TryComplete();
        _stopped.CancelAfter(DrainTimeout);
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>Redis refused the command with this error (the shard wraps it in <see cref="EngineUnavailableException"/>).</summary>
    private static bool IsServerError(EngineUnavailableException ex, string code) =>
        ex.InnerException is RedisServerException inner && inner.Message.StartsWith(code, StringComparison.Ordinal);

    private static IEnumerable<QueuedEntry> Entries(StreamEntry[] entries) =>
        entries.Where(entry => !entry.IsNull && !entry[Field].IsNull).Select(entry => new QueuedEntry((string)entry.Id!, (byte[])entry[Field]!));

    private async Task EnsureGroupAsync()
    {
        if (_groupReady)
        {
            return;
        }

        // Another node (or an earlier run) may have made it: BUSYGROUP is an answer, not a failure of Redis (caught
        // inside the operation, so the shard neither logs it as one nor counts it).
        await _shard.RunAsync(async (db, _) =>
        {
            try
            {
                return await db.StreamCreateConsumerGroupAsync(_key, Group, "0-0", createStream: true);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
                return false;
            }
        });

        _groupReady = true;
    }

    /// <summary>Moves appended entries to the stream, one at a time in order; an entry Redis did not take is tried again after a pause.</summary>
    private async Task PumpAsync()
    {
        var token = _stopped.Token;
        while (await _buffer.Reader.WaitToReadAsync(token))
        {
            while (_buffer.Reader.TryPeek(out var entry))
            {
                try
                {
                    await _shard.RunAsync((db, _) => db.StreamAddAsync(_key, Field, entry, maxLength: (int)Math.Min(int.MaxValue, _limits.MaxLength), useApproximateMaxLength: true));
                    _buffer.Reader.TryRead(out _);
                }
                catch (EngineUnavailableException ex)
                {
                    // An unknown outcome is tried again too: at least once, and the receiver dedupes by event id.
                    LogAppendFailed(_logger, ex.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), token);
                }
            }
        }
    }

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Could not add a webhook event to the Redis stream (tried again): {Reason}")]
    private static partial void LogAppendFailed(ILogger logger, string reason);
}
