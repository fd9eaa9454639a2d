using System.Threading.Channels;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// The memory engine's delivery queue: a bounded queue in this process with one consumer (this node). An entry
/// taken stays with the consumer until it acknowledges it, so nothing is lost while the process lives; what is
/// pending when the process ends is lost (documented in docs/integration.md).
/// </summary>
internal sealed class MemoryDeliveryQueue(int capacity) : IDeliveryQueue
{
    private readonly Channel<byte[]> _entries = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
    {
        // Wait, not DropWrite: with a Drop mode TryWrite says true for an entry it dropped, and the loss would go uncounted.
        // Nothing waits: only TryWrite is used, which says false when full.
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private long _nextId;

    public long Buffered => _entries.Reader.Count;

    public bool TryAppend(byte[] entry) => _entries.Writer.TryWrite(entry);

    public ValueTask<IReadOnlyList<QueuedEntry>> TakeAsync(int max, CancellationToken cancellationToken)
    {
        var taken = new List<QueuedEntry>();
        while (taken.Count < max && _entries.Reader.TryRead(out var entry))
        {
            taken.Add(new QueuedEntry((++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture), entry));
        }

        return ValueTask.FromResult<IReadOnlyList<QueuedEntry>>(taken);
    }

    public async Task WaitAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(atMost);
        try
        {
            await _entries.Reader.WaitToReadAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Waited long enough: the caller looks again.
        }
    }

    // The only consumer: what it took is its own until it acknowledges it.
    public ValueTask<IReadOnlyList<QueuedEntry>> KeepAsync(IReadOnlyList<QueuedEntry> entries, CancellationToken cancellationToken) => ValueTask.FromResult(entries);

    public ValueTask AcknowledgeAsync(IReadOnlyList<QueuedEntry> entries, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
