using HdrHistogram;

namespace Broadcast.Bench.Load;

/// <summary>
/// One HDR histogram per receiving thread, merged at the end: recording stays a plain array increment
/// with no lock or interlocked operation on the receive path.
/// </summary>
public static class LatencyHistograms
{
    /// <summary>Latencies are recorded in microseconds, up to ten minutes, with three significant digits.</summary>
    public const long HighestMicroseconds = 600_000_000;

    private static readonly List<LongHistogram> All = [];

    [ThreadStatic]
    private static LongHistogram? _threadHistogram;

    public static LongHistogram Create() => new(HighestMicroseconds, 3);

    public static void Record(long microseconds)
    {
        var histogram = _threadHistogram;
        if (histogram is null)
        {
            histogram = _threadHistogram = Create();
            lock (All)
            {
                All.Add(histogram);
            }
        }

        histogram.RecordValue(Math.Clamp(microseconds, 0, HighestMicroseconds));
    }

    /// <summary>Every thread's recordings in one histogram; call after the receive loops went quiet.</summary>
    public static LongHistogram Merge()
    {
        var merged = Create();
        lock (All)
        {
            foreach (var histogram in All)
            {
                merged.Add(histogram);
            }
        }

        return merged;
    }
}
