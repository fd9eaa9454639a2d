namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// A channel's history: a ring of consecutive publications, oldest first, of at most <c>capacity</c>. Because
/// offsets are consecutive, the publication with offset k is found by arithmetic, not by search. The array
/// grows as publications arrive instead of being allocated whole: most channels never fill it, and a channel
/// that is only read holds none.
/// </summary>
internal sealed class PublicationRing(int capacity)
{
    /// <summary>What holding a publication costs beyond its message: the object, its arrays' headers, the frame fields.</summary>
    public const int OverheadBytes = 128;

    private Publication[] _items = [];
    private int _head;

    public int Count { get; private set; }

    public int Capacity => capacity;

    /// <summary>The history's size as the engine's byte bound counts it: messages plus <see cref="OverheadBytes"/> each.</summary>
    public long Bytes { get; private set; }

    public Publication this[int index] => _items[(_head + index) % _items.Length];

    public Publication? Oldest => Count == 0 ? null : this[0];

    public static long SizeOf(Publication publication) => publication.Payload.Bytes.Length + OverheadBytes;

    /// <summary>Appends a publication, pushing out the oldest when full. Returns the change in <see cref="Bytes"/>.</summary>
    public long Add(Publication publication)
    {
        if (capacity == 0)
        {
            return 0;
        }

        var freed = 0L;
        if (Count == capacity)
        {
            freed = RemoveOldest();
        }
        else if (Count == _items.Length)
        {
            Grow();
        }

        _items[(_head + Count) % _items.Length] = publication;
        Count++;
        var size = SizeOf(publication);
        Bytes += size;
        return size - freed;
    }

    /// <summary>Drops the oldest publication; returns the bytes that freed.</summary>
    public long RemoveOldest()
    {
        var oldest = _items[_head];
        _items[_head] = null!;
        _head = (_head + 1) % _items.Length;
        Count--;
        var size = SizeOf(oldest);
        Bytes -= size;
        return size;
    }

    /// <summary>Drops everything, array included; returns the bytes that freed.</summary>
    public long Clear()
    {
        var freed = Bytes;
        _items = [];
        _head = 0;
        Count = 0;
        Bytes = 0;
        return freed;
    }

    private void Grow()
    {
        var grown = new Publication[Math.Min(capacity, Math.Max(4, _items.Length * 2))];
        for (var i = 0; i < Count; i++)
        {
            grown[i] = this[i];
        }

        _items = grown;
        _head = 0;
    }
}
