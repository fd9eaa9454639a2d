namespace Broadcast.Server.Transport;

/// <summary>What happens to a channel's publications when a subscriber's outbound queue is full.</summary>
public enum SlowConsumerPolicy
{
    /// <summary>Close the connection with 1008: the client reconnects and resumes from history (the default).</summary>
    Disconnect,

    /// <summary>Drop the channel's oldest queued publication to make room; the client is told how many it lost.</summary>
    DropOldest,

    /// <summary>Drop every queued publication of the channel but the newest (for state that only the latest value matters, like prices).</summary>
    KeepLatest,
}
