namespace Broadcast.Server.Diagnostics;

/// <summary>The node's metric totals at one moment: counters since start, queue depth now, latency buckets since start.</summary>
/// <param name="LatencyCounts">Per bucket, not cumulative; one more than <paramref name="LatencyBoundsSeconds"/> (the last is above every bound).</param>
public sealed record MetricsSnapshot(
    DateTimeOffset Time,
    long ConnectionsOpened,
    long ConnectionsClosed,
    long MessagesReceived,
    long MessagesPublished,
    long MessagesDelivered,
    long MessagesRejected,
    long BytesReceived,
    long BytesSent,
    long SlowConsumerDisconnects,
    long SlowConsumerDroppedFrames,
    long EngineErrors,
    long QueuedFrames,
    long MaxQueuedFrames,
    IReadOnlyList<double> LatencyBoundsSeconds,
    IReadOnlyList<long> LatencyCounts,
    double LatencySumSeconds);
