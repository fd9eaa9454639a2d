using HdrHistogram;

namespace Broadcast.Bench.Results;

/// <summary>Percentiles of a histogram recorded in microseconds, reported in milliseconds.</summary>
public sealed class LatencySummary
{
    public long Count { get; set; }

    public double P50Ms { get; set; }

    public double P90Ms { get; set; }

    public double P99Ms { get; set; }

    public double P999Ms { get; set; }

    public double MaxMs { get; set; }

    public double MeanMs { get; set; }

    public static LatencySummary From(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencySummary();
        }

        return new LatencySummary
        {
            Count = histogram.TotalCount,
            P50Ms = Ms(histogram.GetValueAtPercentile(50)),
            P90Ms = Ms(histogram.GetValueAtPercentile(90)),
            P99Ms = Ms(histogram.GetValueAtPercentile(99)),
            P999Ms = Ms(histogram.GetValueAtPercentile(99.9)),
            MaxMs = Ms(histogram.GetMaxValue()),
            MeanMs = Math.Round(histogram.GetMean() / 1000.0, 3),
        };
    }

    private static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 3);
}
