namespace Broadcast.Bench.Results;

/// <summary>What one load process measured; the coordinator merges these.</summary>
public sealed class WorkerResult
{
    public int Worker { get; set; }

    public int Attempted { get; set; }

    public int Connected { get; set; }

    public int Refused { get; set; }

    public int Rejected { get; set; }

    public int Failed { get; set; }

    public string? FirstError { get; set; }

    public long ConnectStartTicks { get; set; }

    public long ConnectEndTicks { get; set; }

    public long[][] ConnectLatencyMicros { get; set; } = [];

    public long[][] LatencyMicros { get; set; } = [];

    public int[] PublisherIds { get; set; } = [];

    public long[] PublisherMeasuredSent { get; set; } = [];

    public long SentTotal { get; set; }

    /// <summary>True when publishing was cut off because sends fell far behind the schedule.</summary>
    public bool PublisherFellBehind { get; set; }

    public int[] SubscriberOwnPublisher { get; set; } = [];

    public long[] SubscriberUnique { get; set; } = [];

    public long Duplicates { get; set; }

    public long Reordered { get; set; }

    public long Foreign { get; set; }

    /// <summary>Messages a client received that it had published itself (the server must exclude the sender).</summary>
    public long OwnEchoes { get; set; }

    public long ErrorFrames { get; set; }

    /// <summary>Connections the server closed (or that broke) before the run ended.</summary>
    public int ClosedDuringRun { get; set; }

    public long LastMeasuredTicks { get; set; }

    /// <summary>CPU seconds this load process used from the start of publishing to its end (read by itself: its /proc entry is gone once it exits).</summary>
    public double RunCpuSeconds { get; set; }

    public double RunSeconds { get; set; }
}
