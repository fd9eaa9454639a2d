using System.Buffers.Text;
using System.Text;

namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>
/// The positions of one SSE connection's channels, kept by its writer as frames go out (a publication moves
/// its channel on; a subscription that starts live, or an <c>unrecovered</c> notice, sets it; one that recovers
/// keeps the position it resumed from, since the replay follows), written as each event's id without
/// allocating. Only the flusher touches it, one batch at a time.
/// </summary>
internal sealed class SsePositions
{
    private readonly List<Entry> _entries = [];

    public SsePositions(IEnumerable<SsePosition> seeded)
    {
        foreach (var position in seeded)
        {
            _entries.Add(new Entry(Encoding.UTF8.GetBytes(position.Channel)) { Epoch = Encoding.UTF8.GetBytes(position.Epoch), Offset = position.Offset });
        }
    }

    public int Count => _entries.Count;

    /// <summary>Bytes <see cref="WriteTo"/> may need at most.</summary>
    public int MaxLength
    {
        get
        {
            var length = 0;
            foreach (var entry in _entries)
            {
                length += entry.Channel.Length + entry.Epoch.Length + 22;
            }

            return length;
        }
    }

    public void Set(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> epoch, long offset)
    {
        var entry = Find(channel);
        if (entry is null)
        {
            entry = new Entry(channel.ToArray());
            _entries.Add(entry);
        }

        if (!entry.Epoch.AsSpan().SequenceEqual(epoch))
        {
            entry.Epoch = epoch.ToArray();
        }

        entry.Offset = offset;
    }

    public void Remove(ReadOnlySpan<byte> channel)
    {
        if (Find(channel) is { } entry)
        {
            _entries.Remove(entry);
        }
    }

    /// <summary>Writes <c>room=epoch:57,news=epoch:3</c>; returns the bytes written.</summary>
    public int WriteTo(Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < _entries.Count; i++)
        {
            var entry = _entries[i];
            if (i > 0)
            {
                destination[written++] = (byte)',';
            }

            entry.Channel.CopyTo(destination[written..]);
            written += entry.Channel.Length;
            destination[written++] = (byte)'=';
            entry.Epoch.CopyTo(destination[written..]);
            written += entry.Epoch.Length;
            destination[written++] = (byte)':';
            Utf8Formatter.TryFormat(entry.Offset, destination[written..], out var digits);
            written += digits;
        }

        return written;
    }

    private Entry? Find(ReadOnlySpan<byte> channel)
    {
        foreach (var entry in _entries)
        {
            if (entry.Channel.AsSpan().SequenceEqual(channel))
            {
                return entry;
            }
        }

        return null;
    }

    private sealed class Entry(byte[] channel)
    {
        public byte[] Channel { get; } = channel;

        public byte[] Epoch { get; set; } = [];

        public long Offset { get; set; }
    }
}
