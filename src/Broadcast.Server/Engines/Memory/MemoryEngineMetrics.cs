using System.Diagnostics.Metrics;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// What the in-memory engine holds and what its bounds evicted, on the server's meter (<c>Broadcast.Server</c>;
/// docs/metrics.md). The sizes are read when collected; evictions are counted as they happen.
/// </summary>
internal sealed class MemoryEngineMetrics
{
    private readonly Counter<long> _channelsEvicted;
    private readonly Counter<long> _historyEvicted;
    private readonly Counter<long> _idempotencyEvicted;

    public MemoryEngineMetrics(IMeterFactory meterFactory, MemoryEngine engine)
    {
        var meter = meterFactory.Create(Diagnostics.BroadcastMetrics.MeterName);
        meter.CreateObservableUpDownCounter("broadcast.server.memory.channels", () => (long)engine.ChannelCount, "{channel}", "Channels whose state the in-memory engine holds.");
        meter.CreateObservableUpDownCounter("broadcast.server.memory.history.size", () => engine.HistoryBytes, "By", "History held across every channel: message bytes plus a fixed overhead per publication.");
        meter.CreateObservableUpDownCounter("broadcast.server.memory.idempotency.records", () => engine.IdempotencyRecords, "{record}", "(session, message id) pairs remembered for idempotent publishing.");
        _channelsEvicted = meter.CreateCounter<long>("broadcast.server.memory.channels.evicted", "{channel}", "Channel states forgotten because Broadcast:Memory:MaxChannels was reached.");
        _historyEvicted = meter.CreateCounter<long>("broadcast.server.memory.history.evicted", "By", "History evicted because Broadcast:Memory:MaxHistoryBytes was reached.");
        _idempotencyEvicted = meter.CreateCounter<long>("broadcast.server.memory.idempotency.evicted", "{record}", "Idempotency records forgotten before their window ended because Broadcast:Memory:MaxIdempotencyRecords was reached.");
    }

    public void ChannelsEvicted(int count)
    {
        if (count > 0)
        {
            _channelsEvicted.Add(count);
        }
    }

    public void HistoryEvicted(long bytes)
    {
        if (bytes > 0)
        {
            _historyEvicted.Add(bytes);
        }
    }

    public void IdempotencyEvicted(int count)
    {
        if (count > 0)
        {
            _idempotencyEvicted.Add(count);
        }
    }
}
