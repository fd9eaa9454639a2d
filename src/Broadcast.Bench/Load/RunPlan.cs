using System.Diagnostics;
using Broadcast.Bench.Cli;

namespace Broadcast.Bench.Load;

/// <summary>The publishing schedule every process shares: who publishes how much, from when.</summary>
public sealed class RunPlan
{
    public RunPlan(BenchOptions options)
    {
        Publishers = options.PublisherCount;
        RatePerPublisher = options.RatePerPublisher;
        WarmupCount = (long)Math.Round(options.WarmupSeconds * RatePerPublisher);
        TotalPerPublisher = WarmupCount + (long)Math.Round(options.DurationSeconds * RatePerPublisher);
        WarmupTicks = Seconds(options.WarmupSeconds);
        DurationTicks = Seconds(options.DurationSeconds);
        DrainTicks = Seconds(options.DrainSeconds);
    }

    public int Publishers { get; }

    public double RatePerPublisher { get; }

    /// <summary>Messages each publisher sends before the measured window opens (not counted).</summary>
    public long WarmupCount { get; }

    public long TotalPerPublisher { get; }

    public long WarmupTicks { get; }

    public long DurationTicks { get; }

    public long DrainTicks { get; }

    /// <summary>Stopwatch timestamp of the first scheduled send; set when the coordinator says go.</summary>
    public long StartTicks { get; set; }

    public long MeasureStartTicks => StartTicks + WarmupTicks;

    public long ScheduleEndTicks => StartTicks + WarmupTicks + DurationTicks;

    public static long Seconds(double seconds) => (long)(seconds * Stopwatch.Frequency);

    public static double ToMicroseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
