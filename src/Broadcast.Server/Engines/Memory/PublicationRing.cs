using Broadcast.Server.Channels;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// A channel's history: a fixed-capacity ring of consecutive publications, oldest first. Because
/// offsets are consecutive, the publication with offset k is found by arithmetic, not by search.
/// </summary>
internal sealed class PublicationRing(int capacity)
{
    private readonly Publication[] _items = new Publication[Math.Max(capacity, 1)];
    private int _head;

    public int Count { get; private set; }

    public int Capacity => capacity;

    public Publication this[int index] => _items[(_head + index) % _items.Length];

    public Publication? Oldest => Count == 0 ? null : this[0];

    public void Add(Publication publication)
    {
        if (capacity == 0)
        {
            return;
        }

        if (Count == _items.Length)
        {
            RemoveOldest();
        }

        _items[(_head + Count) % _items.Length] = publication;
        Count++;
    }

    public void RemoveOldest()
    {
        _items[_head] = null!;
        _head = (_head + 1) % _items.Length;
        Count--;
    }
}
