using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// The engine for a single node, with nothing to install: offsets, history, idempotency and presence
/// live in this process and are lost when it stops (each channel then starts a new epoch, so resuming
/// clients are told <c>recovered: false</c>). Publishing delivers to this node's <see cref="IEngineListener"/>
/// synchronously, under the channel's lock, so delivery order is offset order.
/// </summary>
/// <remarks>
/// Everything it holds is bounded (<see cref="MemoryEngineOptions"/>): channels with state, history bytes
/// in total and idempotency records, each evicting the oldest first. Evictions run on the caller that went
/// over a bound, outside every channel's lock, one at a time.
/// </remarks>
public sealed class MemoryEngine : IStreamEngine, IPresenceEngine, INodeDirectory, IDisposable
{
    private readonly ConcurrentDictionary<string, MemoryChannel> _channels = new(StringComparer.Ordinal);
    private readonly IEngineListener _hub;
    private readonly TimeProvider _clock;
    private readonly StreamOptions _options;
    private readonly MemoryEngineOptions _bounds;
    private readonly IdempotencyLedger _ledger;
    private readonly IMemoryEngineObserver? _metrics;
    private readonly Lock _evictionGate = new();
    private readonly ITimer _sweeper;
    private long _historyBytes;

    public MemoryEngine(IEngineListener hub, TimeProvider clock, IOptions<StreamOptions> options, IOptions<MemoryEngineOptions> bounds)
        : this(hub, clock, options, bounds, observer: null)
    {
    }

    public MemoryEngine(IEngineListener hub, TimeProvider clock, IOptions<StreamOptions> options, IOptions<MemoryEngineOptions> bounds, IMemoryEngineObserver? observer)
    {
        _hub = hub;
        _clock = clock;
        _options = options.Value;
        _bounds = bounds.Value;
        _ledger = new IdempotencyLedger(_bounds.MaxIdempotencyRecords);
        _metrics = observer;
        observer?.Observe(this);
        var sweepEvery = TimeSpan.FromTicks(Math.Min(_options.HistoryTtl.Ticks, TimeSpan.FromMinutes(1).Ticks));
        _sweeper = clock.CreateTimer(_ => Sweep(), null, sweepEvery, sweepEvery);
    }

    /// <summary>Channels whose state is held.</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>History held across every channel, as <see cref="MemoryEngineOptions.MaxHistoryBytes"/> counts it.</summary>
    public long HistoryBytes => Volatile.Read(ref _historyBytes);

    /// <summary>Idempotency records held across every channel.</summary>
    public long IdempotencyRecords => _ledger.Count;

    public ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = GetOrCreate(channel);
            PublishResult result;
            long historyChange;
            lock (state)
            {
                if (state.Removed)
                {
                    continue;
                }

                var now = _clock.GetUtcNow().UtcDateTime;
                historyChange = -state.ExpireHistory(now, _options.HistoryTtl);
                if (messageId is not null && state.TryGetPublishedOffset(origin, messageId, now, out var earlier))
                {
                    result = new PublishResult(new StreamPosition(state.Epoch, earlier), Duplicate: true);
                }
                else
                {
                    var offset = ++state.LastOffset;
                    var publication = new Publication(channel, state.Epoch, offset, origin, now, payload);
                    historyChange += state.History.Add(publication);
                    state.LastActivityUtc = now;
                    if (messageId is not null)
                    {
                        var expires = now + _options.IdempotencyWindow;
                        _ledger.Remembered(state, (origin, messageId), expires, state.RememberMessageId((origin, messageId), offset, expires));
                    }

                    // Only a channel this node has subscribers of reaches the listener, as with every engine.
                    if (_hub.HasLocalSubscribers(channel))
                    {
                        _hub.DeliverPublication(publication);
                    }
                    result = new PublishResult(new StreamPosition(state.Epoch, offset), Duplicate: false);
                }
            }

            Settle(historyChange);
            return ValueTask.FromResult(result);
        }
    }

    public ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Created if absent, so the epoch a reader is told stays the channel's until it is forgotten; the
            // state of a channel that is only read is small, idle, and swept or evicted first.
            var state = GetOrCreate(channel);
            HistoryResult result;
            long freed;
            lock (state)
            {
                if (state.Removed)
                {
                    continue;
                }

                freed = state.ExpireHistory(_clock.GetUtcNow().UtcDateTime, _options.HistoryTtl);
                var position = new StreamPosition(state.Epoch, state.LastOffset);
                var firstRetained = state.History.Oldest?.Offset ?? state.LastOffset + 1;
                var truncated = sinceOffset + 1 < firstRetained;
                var start = Math.Max(sinceOffset + 1, firstRetained);
                var count = (int)Math.Clamp(state.LastOffset - start + 1, 0, limit);
                var publications = new Publication[count];
                var index = (int)(start - firstRetained);
                for (var i = 0; i < count; i++)
                {
                    publications[i] = state.History[index + i];
                }

                result = new HistoryResult(position, publications, truncated);
            }

            Settle(-freed);
            return ValueTask.FromResult(result);
        }
    }

    // One node: the hub already receives every publication of this process.
    public ValueTask SubscribeNodeAsync(string channel, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask UnsubscribeNodeAsync(string channel, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<PresenceChange> JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        PresenceChange change;
        while (true)
        {
            var state = GetOrCreate(channel);
            lock (state)
            {
                if (state.Removed)
                {
                    continue;
                }

                var before = state.PresenceCount;
                state.SetPresence(member);
                change = PresenceChange.Of(member: state.PresenceCount > before, channel: before == 0);
                break;
            }
        }

        if (_hub.HasLocalSubscribers(channel))
        {
            _hub.DeliverPresence(channel, joined: true, member);
        }
        return ValueTask.FromResult(change);
    }

    public ValueTask<PresenceChange> LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        var change = PresenceChange.Of(member: false, channel: false);

        // A channel whose state is gone has no member to remove: nothing is created for it.
        if (_channels.TryGetValue(channel, out var state))
        {
            lock (state)
            {
                var removed = state.RemovePresence(member.ClientKey);
                change = PresenceChange.Of(member: removed, channel: removed && state.PresenceCount == 0);
            }
        }

        if (_hub.HasLocalSubscribers(channel))
        {
            _hub.DeliverPresence(channel, joined: false, member);
        }
        return ValueTask.FromResult(change);
    }

    public ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken)
    {
        if (!_channels.TryGetValue(channel, out var state))
        {
            return ValueTask.FromResult<IReadOnlyCollection<PresenceMember>>([]);
        }

        lock (state)
        {
            return ValueTask.FromResult<IReadOnlyCollection<PresenceMember>>(state.PresenceMembers());
        }
    }

    private NodeReport? _node;

    // One node: the deployment is this process.
    public ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _node, report);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<NodeReport>> GetNodesAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<NodeReport>>(Volatile.Read(ref _node) is { } node ? [node] : []);

    // Always available: it lives in this process.
    public ValueTask<bool> IsAvailableAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);

    private MemoryChannel GetOrCreate(string channel)
    {
        if (_channels.TryGetValue(channel, out var existing))
        {
            return existing;
        }

        var created = new MemoryChannel(channel, _options.HistorySize, _clock.GetUtcNow().UtcDateTime);
        var state = _channels.GetOrAdd(channel, created);
        if (ReferenceEquals(state, created) && _channels.Count > _bounds.MaxChannels)
        {
            EvictChannels(keep: created);
        }

        return state;
    }

    /// <summary>Applies a change of history size (outside every lock), then the bounds that may need enforcing.</summary>
    private void Settle(long historyChange)
    {
        if (historyChange != 0 && Interlocked.Add(ref _historyBytes, historyChange) > _bounds.MaxHistoryBytes)
        {
            EvictHistory();
        }

        // A few per call: each publish adds at most one record, and the sweep takes whatever is left.
        _metrics?.IdempotencyEvicted(_ledger.Trim(_clock.GetUtcNow().UtcDateTime, maxEntries: 64));
    }

    /// <summary>
    /// Past <see cref="MemoryEngineOptions.MaxChannels"/>: forgets the channels least recently published to
    /// that nobody here subscribes to (no subscriber, no presence), down to nine tenths of the bound, so the
    /// next evictions are a while away. <paramref name="keep"/> is the channel being created, about to be used.
    /// </summary>
    private void EvictChannels(MemoryChannel keep)
    {
        if (!_evictionGate.TryEnter())
        {
            return;
        }

        try
        {
            var target = _bounds.MaxChannels - (_bounds.MaxChannels / 10);
            var evicted = 0;
            foreach (var state in _channels.Values.Where(c => !ReferenceEquals(c, keep)).OrderBy(c => c.LastActivityUtc).ToList())
            {
                if (_channels.Count <= target)
                {
                    break;
                }

                lock (state)
                {
                    if (!state.Removed && state.PresenceCount == 0 && !_hub.HasLocalSubscribers(state.Name))
                    {
                        Drop(state);
                        evicted++;
                    }
                }
            }

            _metrics?.ChannelsEvicted(evicted);
        }
        finally
        {
            _evictionGate.Exit();
        }
    }

    /// <summary>
    /// Past <see cref="MemoryEngineOptions.MaxHistoryBytes"/>: evicts history, from the channel least recently
    /// published to onwards, oldest publications first, down to nine tenths of the bound. A client that needed
    /// it is told as for any history lost: <c>truncated</c>, and <c>recovered: false</c> on resume.
    /// </summary>
    private void EvictHistory()
    {
        if (!_evictionGate.TryEnter())
        {
            return;
        }

        try
        {
            var target = _bounds.MaxHistoryBytes - (_bounds.MaxHistoryBytes / 10);
            var evicted = 0L;
            foreach (var state in _channels.Values.Where(c => c.History.Count > 0).OrderBy(c => c.LastActivityUtc).ToList())
            {
                if (HistoryBytes <= target)
                {
                    break;
                }

                lock (state)
                {
                    while (!state.Removed && state.History.Count > 0 && HistoryBytes > target)
                    {
                        var freed = state.History.RemoveOldest();
                        Interlocked.Add(ref _historyBytes, -freed);
                        evicted += freed;
                    }
                }
            }

            _metrics?.HistoryEvicted(evicted);
        }
        finally
        {
            _evictionGate.Exit();
        }
    }

    /// <summary>Removes a channel's state, under its lock; the next use creates a new one with a new epoch.</summary>
    private void Drop(MemoryChannel state)
    {
        state.Removed = true;
        _channels.TryRemove(new KeyValuePair<string, MemoryChannel>(state.Name, state));
        Interlocked.Add(ref _historyBytes, -state.History.Clear());
        _ledger.Dropped(state.ForgetAllMessageIds());
    }

    /// <summary>
    /// Forgets channels with nothing left to remember (no history within its time to live, no presence,
    /// no recent message ids), so channels created once and abandoned do not hold memory for ever.
    /// </summary>
    internal void Sweep()
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        _metrics?.IdempotencyEvicted(_ledger.Trim(now));
        foreach (var (name, state) in _channels)
        {
            lock (state)
            {
                Interlocked.Add(ref _historyBytes, -state.ExpireHistory(now, _options.HistoryTtl));
                if (!state.Removed && state.IsIdle && !_hub.HasLocalSubscribers(name))
                {
                    Drop(state);
                }
            }
        }
    }

    public void Dispose() => _sweeper.Dispose();
}
