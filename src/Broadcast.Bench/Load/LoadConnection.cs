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

    /// <summary>A subscriber over HTTP streaming or SSE (<c>--transport</c>), instead of <see cref="Socket"/>.</summary>
    public StreamReceiver? Stream { get; set; }

    /// <summary>Connected, by either.</summary>
    public bool IsConnected => Socket is not null || Stream is not null;

    /// <summary>Connected and not closed since.</summary>
    public bool IsOpen => Socket is { IsClosed: false } || Stream is { IsClosed: false };

    /// <summary>Connected, then closed (by the server) before the end.</summary>
    public bool IsClosed => Socket is { IsClosed: true } || Stream is { IsClosed: true };

    public Task? Receiving { get; set; }
}
