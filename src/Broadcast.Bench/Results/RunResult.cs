namespace Broadcast.Bench.Results;

/// <summary>The merged result of one run: the --json output.</summary>
public sealed class RunResult
{
    public string? Label { get; set; }

    public string Scenario { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string Url { get; set; } = "";

    public int Processes { get; set; }

    public int Subscribers { get; set; }

    public int Publishers { get; set; }

    public int MessageBytes { get; set; }

    /// <summary>Messages per second the publishers were scheduled to send, in total.</summary>
    public double OfferedMessagesPerSecond { get; set; }

    /// <summary>Deliveries per second that schedule asks of the server.</summary>
    public double OfferedDeliveriesPerSecond { get; set; }

    public double WarmupSeconds { get; set; }

    public double DurationSeconds { get; set; }

    public ConnectionFigures Connections { get; set; } = new();

    /// <summary>Measured messages sent (warm-up excluded).</summary>
    public long Sent { get; set; }

    public long Expected { get; set; }

    public long Delivered { get; set; }

    public long Lost { get; set; }

    public long Duplicated { get; set; }

    public long Reordered { get; set; }

    public int SubscribersWithLoss { get; set; }

    public long MaxLostBySubscriber { get; set; }

    public long ErrorFrames { get; set; }

    /// <summary>Messages received that this run did not publish (or that are not its text).</summary>
    public long Foreign { get; set; }

    /// <summary>Messages sent back to the client that published them: any is a failed run (the original protocol excludes the sender).</summary>
    public long OwnEchoes { get; set; }

    public bool PublisherFellBehind { get; set; }

    /// <summary>Deliveries per second over the window from its start to the last measured delivery.</summary>
    public double DeliveredPerSecond { get; set; }

    public LatencySummary Latency { get; set; } = new();

    public ServerFigures? Server { get; set; }

    /// <summary>CPU the load processes used while publishing and draining, as a share of one core: near 100 % means the tool, not the server, was the limit.</summary>
    public double LoadCpuPercent { get; set; }
}
