using HdrHistogram;

namespace Broadcast.Bench.Results;

/// <summary>A histogram as [value, count] pairs: enough to merge workers' histograms exactly, and plain JSON.</summary>
public static class HistogramData
{
    public static long[][] ToPairs(HistogramBase histogram) =>
        [.. histogram.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAtValueIteratedTo })];

    public static void AddPairs(HistogramBase histogram, long[][] pairs)
    {
        foreach (var pair in pairs)
        {
            histogram.RecordValueWithCount(pair[0], pair[1]);
        }
    }
}
