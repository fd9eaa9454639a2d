namespace Broadcast.Server.Channels;

/// <summary>
/// One published state of a channel's subscriber slots on this node (see <c>ChannelHub.LocalChannel</c>):
/// the first <see cref="Length"/> slots of <see cref="Chunks"/>, some of them emptied by removals. Deliveries
/// enumerate it without a lock and without allocating; empty slots are skipped.
/// </summary>
internal sealed class SubscriberSlots(ChannelSubscription?[][] chunks, int length)
{
    /// <summary>Slots per chunk: a new chunk is allocated (and the small array of chunks copied) once per this many subscribes.</summary>
    internal const int ChunkSize = 256;

    public static SubscriberSlots Empty { get; } = new([], 0);

    public ChannelSubscription?[][] Chunks { get; } = chunks;

    /// <summary>Slots in use, empty ones included: nothing at or beyond it belongs to this state.</summary>
    public int Length { get; } = length;

    public Enumerator GetEnumerator() => new(this);

    /// <summary>The subscriptions in the slots, in slot order.</summary>
    public struct Enumerator
    {
        private readonly ChannelSubscription?[][] _chunks;
        private readonly int _length;
        private int _next;
        private ChannelSubscription? _current;

        internal Enumerator(SubscriberSlots slots)
        {
            _chunks = slots.Chunks;
            _length = slots.Length;
        }

        public readonly ChannelSubscription Current => _current!;

        public bool MoveNext()
        {
            while (_next < _length)
            {
                var index = _next++;
                if (_chunks[index / ChunkSize][index % ChunkSize] is { } subscription)
                {
                    _current = subscription;
                    return true;
                }
            }

            return false;
        }
    }
}
