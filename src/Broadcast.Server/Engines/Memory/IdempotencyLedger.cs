using System.Collections.Concurrent;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// Every channel's remembered (origin, message id) pairs in the order they were made, so they are forgotten
/// in that order: when their idempotency window ends, or early once there are more than
/// <see cref="MemoryEngineOptions.MaxIdempotencyRecords"/> (a retry of one forgotten early is published again:
/// the price of the bound). The records themselves live in their channels; this holds the order.
/// </summary>
internal sealed class IdempotencyLedger(int maxRecords)
{
    private readonly ConcurrentQueue<Entry> _order = new();
    private readonly Lock _trimGate = new();
    private long _records;
    private long _queued;

    private readonly record struct Entry(MemoryChannel Channel, (string Origin, string MessageId) Key, DateTime Expires);

    /// <summary>Records held across every channel.</summary>
    public long Count => Volatile.Read(ref _records);

    /// <summary>Called under <paramref name="channel"/>'s lock after it remembered a pair.</summary>
    public void Remembered(MemoryChannel channel, (string Origin, string MessageId) key, DateTime expiresUtc, bool added)
    {
        if (added)
        {
            Interlocked.Increment(ref _records);
        }

        _order.Enqueue(new Entry(channel, key, expiresUtc));
        Interlocked.Increment(ref _queued);
    }

    /// <summary>A channel was dropped with its records; their entries here are skipped when they come up.</summary>
    public void Dropped(int records) => Interlocked.Add(ref _records, -records);

    /// <summary>
    /// Forgets records whose window ended, and the oldest ones while there are too many, at most
    /// <paramref name="maxEntries"/> of them: a publisher pays for a few, the sweep for the rest. Returns how
    /// many were forgotten early. Called outside every channel's lock (it takes them one at a time).
    /// </summary>
    public int Trim(DateTime nowUtc, int maxEntries = int.MaxValue)
    {
        if (!_trimGate.TryEnter())
        {
            // Another caller is trimming already.
            return 0;
        }

        var early = 0;
        try
        {
            // Entries of dropped channels or of replaced records stay queued until they come up; bounding the
            // queue too keeps them from piling up.
            for (var taken = 0; taken < maxEntries && _order.TryPeek(out var head)
                && (head.Expires <= nowUtc || Count > maxRecords || Volatile.Read(ref _queued) > 2L * maxRecords)
                && _order.TryDequeue(out head); taken++)
            {
                Interlocked.Decrement(ref _queued);
                lock (head.Channel)
                {
                    if (head.Channel.ForgetMessageId(head.Key, head.Expires))
                    {
                        Interlocked.Decrement(ref _records);
                        early += head.Expires > nowUtc ? 1 : 0;
                    }
                }
            }
        }
        finally
        {
            _trimGate.Exit();
        }

        return early;
    }
}
