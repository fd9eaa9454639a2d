using System.Diagnostics.Metrics;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// The flush cadence on the server's meter (<c>Broadcast.Server</c>; docs/metrics.md): how long write rounds wait
/// for each other now, which the cadence stretches under load, so an operator sees the latency it adds.
/// </summary>
internal sealed class FlushMetrics
{
    public FlushMetrics(IMeterFactory meterFactory, FlushScheduler flusher)
    {
        var meter = meterFactory.Create(BroadcastMetrics.MeterName);
        meter.CreateObservableGauge(
            "broadcast.server.flush.interval",
            () => flusher.CurrentInterval.TotalSeconds,
            "s",
            "The longest time between two write rounds that a flush shard keeps now: Broadcast:FlushInterval, stretched under load up to FlushIntervalMax, or FlushIntervalSparseMax for sparse writes.");
    }
}
