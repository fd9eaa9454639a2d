namespace Broadcast.Bench.Results;

/// <summary>What the coordinator read about the server process from /proc.</summary>
public sealed class ServerFigures
{
    public int Pid { get; set; }

    /// <summary>Server CPU seconds over the measured window (warm-up excluded, drain included).</summary>
    public double? CpuSeconds { get; set; }

    /// <summary>Server CPU time divided by messages delivered in the window: the steadiest figure on a noisy machine.</summary>
    public double? CpuMicrosecondsPerDelivery { get; set; }

    /// <summary>Average share of one core the server used in the window.</summary>
    public double? CpuPercent { get; set; }

    public long? RssBeforeBytes { get; set; }

    /// <summary>For idle: RSS once every connection was open and had settled.</summary>
    public long? RssConnectedBytes { get; set; }

    public long? RssPerConnectionBytes { get; set; }

    public long? RssEndBytes { get; set; }

    public long? PeakRssBytes { get; set; }
}
