namespace Broadcast.Server.Diagnostics;

/// <summary>
/// A lock-free cumulative histogram with fixed bucket bounds, kept beside the OpenTelemetry histogram so
/// the admin view can read latency directly (an OpenTelemetry histogram cannot be read back in-process).
/// Recording is one binary search and one interlocked increment.
/// </summary>
public sealed class LatencyBuckets
{
    /// <summary>
    /// Upper bounds in seconds, shared with the exported histogram. Fine below 10 ms, where a healthy
    /// server delivers, and coarse above it, where the question is only "how bad".
    /// </summary>
    public static readonly double[] BoundsSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // One more slot than bounds: values above the last bound.
    private readonly long[] _counts = new long[BoundsSeconds.Length + 1];
    private long _sumMicroseconds;

    public void Record(double seconds)
    {
        var index = Array.BinarySearch(BoundsSeconds, seconds);
        // Prometheus buckets are "less than or equal": an exact match belongs to that bucket.
        Interlocked.Increment(ref _counts[index >= 0 ? index : ~index]);
        Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1_000_000));
    }

    /// <summary>Counts per bucket (not cumulative; the last one is above every bound) and the sum in seconds.</summary>
    public (long[] Counts, double SumSeconds) Snapshot()
    {
        var counts = new long[_counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _counts[i]);
        }

        return (counts, Interlocked.Read(ref _sumMicroseconds) / 1_000_000.0);
    }
}
