namespace Broadcast.Server.Engines;

/// <summary>
/// A queue of entries to deliver outside the deployment (webhook events), at least once: every entry is
/// taken by one consumer, and stays the queue's until that consumer acknowledges it. On the memory engine it
/// is a bounded queue in this process (what is pending dies with it); on Redis a stream read by a consumer
/// group, so an entry is taken by exactly one node, and one a dead node held is taken by another after
/// <see cref="DeliveryQueueLimits.ClaimIdle"/> (or by the same deployment after a restart).
/// </summary>
public interface IDeliveryQueue
{
    /// <summary>Appends an entry; never waits. False when the queue (or its buffer in this process) is full: the entry is lost.</summary>
    bool TryAppend(byte[] entry);

    /// <summary>At most <paramref name="max"/> entries ready for this consumer now (abandoned ones first); empty when there are none.</summary>
    ValueTask<IReadOnlyList<QueuedEntry>> TakeAsync(int max, CancellationToken cancellationToken);

    /// <summary>Returns when entries may be ready, or after <paramref name="atMost"/>.</summary>
    Task WaitAsync(TimeSpan atMost, CancellationToken cancellationToken);

    /// <summary>Says this consumer still works on <paramref name="entries"/> (so nobody takes them over); returns those still its own.</summary>
    ValueTask<IReadOnlyList<QueuedEntry>> KeepAsync(IReadOnlyList<QueuedEntry> entries, CancellationToken cancellationToken);

    /// <summary>The entries were delivered (or given up): they leave the queue.</summary>
    ValueTask AcknowledgeAsync(IReadOnlyList<QueuedEntry> entries, CancellationToken cancellationToken);

    /// <summary>Entries in this process not yet handed to a consumer or to the shared store.</summary>
    long Buffered { get; }
}
