namespace Broadcast.Server.Diagnostics;

/// <summary>
/// The most recent slow-consumer disconnects on this node, for the admin view. Bounded: a storm of
/// slow clients keeps only the latest <see cref="Capacity"/> events (the counter keeps the total).
/// </summary>
public sealed class SlowConsumerLog(TimeProvider clock)
{
    public const int Capacity = 50;

    private readonly Queue<SlowConsumerEvent> _events = new(Capacity);

    internal void Add(long connectionId, string? remoteAddress, int capacity)
    {
        var entry = new SlowConsumerEvent(clock.GetUtcNow(), connectionId, remoteAddress, capacity);
        lock (_events)
        {
            if (_events.Count == Capacity)
            {
                _events.Dequeue();
            }

            _events.Enqueue(entry);
        }
    }

    /// <summary>The retained events, newest first.</summary>
    public IReadOnlyList<SlowConsumerEvent> Recent()
    {
        lock (_events)
        {
            return [.. _events.Reverse()];
        }
    }
}
