using System.Diagnostics.Metrics;
using Broadcast.Server.Engines.Memory;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// What the in-memory engine holds and what its bounds evicted, on the server's meter (<c>Broadcast.Server</c>;
/// docs/metrics.md). The sizes are read when collected; evictions are counted as they happen.
/// </summary>
internal sealed class MemoryEngineMetrics(IMeterFactory meterFactory) : IMemoryEngineObserver
{
    private readonly Meter _meter = meterFactory.Create(BroadcastMetrics.MeterName);
    private Counter<long>? _channelsEvicted;
    private Counter<long>? _historyEvicted;
    private Counter<long>? _idempotencyEvicted;

    public void Observe(MemoryEngine engine)
    {
        _meter.CreateObservableUpDownCounter("broadcast.server.memory.channels", () => (long)engine.ChannelCount, "{channel}", "Channels whose state the in-memory engine holds.");
        _meter.CreateObservableUpDownCounter("broadcast.server.memory.history.size", () => engine.HistoryBytes, "By", "History held across every channel: message bytes plus a fixed overhead per publication.");
        _meter.CreateObservableUpDownCounter("broadcast.server.memory.idempotency.records", () => engine.IdempotencyRecords, "{record}", "(session, message id) pairs remembered for idempotent publishing.");
        _channelsEvicted = _meter.CreateCounter<long>("broadcast.server.memory.channels.evicted", "{channel}", "Channel states forgotten because Broadcast:Memory:MaxChannels was reached.");
        _historyEvicted = _meter.CreateCounter<long>("broadcast.server.memory.history.evicted", "By", "History evicted because Broadcast:Memory:MaxHistoryBytes was reached.");
        _idempotencyEvicted = _meter.CreateCounter<long>("broadcast.server.memory.idempotency.evicted", "{record}", "Idempotency records forgotten before their window ended because Broadcast:Memory:MaxIdempotencyRecords was reached.");
    }

    public void ChannelsEvicted(int count)
    {
        if (count > 0)
        {
            _channelsEvicted?.Add(count);
        }
    }

    public void HistoryEvicted(long bytes)
    {
        if (bytes > 0)
        {
            _historyEvicted?.Add(bytes);
        }
    }

    public void IdempotencyEvicted(int count)
    {
        if (count > 0)
        {
            _idempotencyEvicted?.Add(count);
        }
    }
}
