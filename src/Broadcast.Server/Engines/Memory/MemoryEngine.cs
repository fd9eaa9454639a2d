using System.Collections.Concurrent;
using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// The engine for a single node, with nothing to install: offsets, history, idempotency and presence
/// live in this process and are lost when it stops (each channel then starts a new epoch, so resuming
/// clients are told <c>recovered: false</c>). Publishing delivers to the local <see cref="ChannelHub"/>
/// synchronously, under the channel's lock, so delivery order is offset order.
/// </summary>
public sealed class MemoryEngine : IEngine, IDisposable
{
    private readonly ConcurrentDictionary<string, MemoryChannel> _channels = new(StringComparer.Ordinal);
    private readonly ChannelHub _hub;
    private readonly TimeProvider _clock;
    private readonly ChannelOptions _options;
    private readonly ITimer _sweeper;

    public MemoryEngine(ChannelHub hub, TimeProvider clock, IOptions<BroadcastOptions> options)
    {
        _hub = hub;
        _clock = clock;
        _options = options.Value.Channels;
        var sweepEvery = TimeSpan.FromTicks(Math.Min(_options.HistoryTtl.Ticks, TimeSpan.FromMinutes(1).Ticks));
        _sweeper = clock.CreateTimer(_ => Sweep(), null, sweepEvery, sweepEvery);
    }

    /// <summary>Channels whose state is held (for tests and diagnostics).</summary>
    public int ChannelCount => _channels.Count;

    public ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, byte[] escapedMessage, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = GetOrCreate(channel);
            lock (state)
            {
                if (state.Removed)
                {
                    continue;
                }

                var now = _clock.GetUtcNow().UtcDateTime;
                state.Expire(now, _options.HistoryTtl);
                if (messageId is not null && state.TryGetPublishedOffset(origin, messageId, out var earlier))
                {
                    return ValueTask.FromResult(new PublishResult(new StreamPosition(state.Epoch, earlier), Duplicate: true));
                }

                var offset = ++state.LastOffset;
                var publication = new Publication(channel, state.Epoch, offset, origin, now, escapedMessage);
                state.History.Add(publication);
                state.LastActivityUtc = now;
                if (messageId is not null)
                {
                    state.RememberMessageId(origin, messageId, offset, now + _options.IdempotencyWindow);
                }

                _hub.Deliver(publication);
                return ValueTask.FromResult(new PublishResult(new StreamPosition(state.Epoch, offset), Duplicate: false));
            }
        }
    }

    public ValueTask<HistoryResult> ReadHistoryAsync(string channel, long sinceOffset, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = GetOrCreate(channel);
            lock (state)
            {
                if (state.Removed)
                {
                    continue;
                }

                state.Expire(_clock.GetUtcNow().UtcDateTime, _options.HistoryTtl);
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

                return ValueTask.FromResult(new HistoryResult(position, publications, truncated));
            }
        }
    }

    // One node: the hub already receives every publication of this process.
    public ValueTask SubscribeNodeAsync(string channel, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask UnsubscribeNodeAsync(string channel, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        UpdatePresence(channel, state => state.Presence[member.ClientKey] = member);
        _hub.DeliverPresence(channel, joined: true, member);
        return ValueTask.CompletedTask;
    }

    public ValueTask LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        UpdatePresence(channel, state => state.Presence.Remove(member.ClientKey));
        _hub.DeliverPresence(channel, joined: false, member);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken)
    {
        if (!_channels.TryGetValue(channel, out var state))
        {
            return ValueTask.FromResult<IReadOnlyCollection<PresenceMember>>([]);
        }

        lock (state)
        {
            return ValueTask.FromResult<IReadOnlyCollection<PresenceMember>>([.. state.Presence.Values]);
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

    private void UpdatePresence(string channel, Action<MemoryChannel> update)
    {
        while (true)
        {
            var state = GetOrCreate(channel);
            lock (state)
            {
                if (state.Removed)
                {
                    continue;
                }

                update(state);
                return;
            }
        }
    }

    private MemoryChannel GetOrCreate(string channel) =>
        _channels.GetOrAdd(channel, static (name, size) => new MemoryChannel(name, size), _options.HistorySize);

    /// <summary>
    /// Forgets channels with nothing left to remember (no history within its time to live, no presence,
    /// no recent message ids), so channels created once and abandoned do not hold memory for ever.
    /// </summary>
    internal void Sweep()
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        foreach (var (name, state) in _channels)
        {
            lock (state)
            {
                state.Expire(now, _options.HistoryTtl);
                if (state.IsIdle && !_hub.HasSubscribers(name))
                {
                    state.Removed = true;
                    _channels.TryRemove(new KeyValuePair<string, MemoryChannel>(name, state));
                }
            }
        }
    }

    public void Dispose() => _sweeper.Dispose();
}
