using Broadcast.Bench.Net;

namespace Broadcast.Bench.Load;

/// <summary>One connection a worker opens: its global index, what it publishes as and how it reads.</summary>
public sealed class LoadConnection(int index, int publisherId, SubscriberTracker? tracker)
{
    /// <summary>Position among all the run's connections (decides the process and the source address).</summary>
    public int Index { get; } = index;

    /// <summary>The publisher this connection sends as, or -1.</summary>
    public int PublisherId { get; } = publisherId;

    /// <summary>Set for subscribers; publishers that do not subscribe discard what they read.</summary>
    public SubscriberTracker? Tracker { get; } = tracker;

    public RawWebSocket? Socket { get; set; }

    public Task? Receiving { get; set; }
}
