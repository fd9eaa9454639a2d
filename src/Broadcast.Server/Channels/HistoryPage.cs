using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// One page of a history answer: the publications after an offset that fit in a byte budget, with the
/// channel's position. A history answer is built for one client alone (unlike a publication's frame, shared by
/// every recipient), so its size is bounded here rather than by the history: at most
/// <c>Broadcast:HistoryPageBytes</c>, and never more than the client's queue still has room for.
/// </summary>
/// <param name="Position">The channel's epoch and latest offset, read with the page.</param>
/// <param name="Publications">Oldest first, consecutive offsets, at least one when any exist after the requested offset.</param>
/// <param name="Truncated">True when publications after the requested offset have already left the history.</param>
/// <param name="More">
/// True when the page stopped before the limit although publications follow (for size, or because the history
/// moved between two reads): ask again with <c>since</c> = the last offset returned.
/// </param>
public sealed record HistoryPage(StreamPosition Position, IReadOnlyList<Publication> Publications, bool Truncated, bool More)
{
    /// <summary>Publications read from the engine at first; later reads are sized from what the first ones weighed.</summary>
    private const int FirstRead = 100;

    /// <summary>
    /// An upper bound of the bytes a publication takes in a page:
    /// <c>{"offset":N,"origin":"…","timestamp":"…","message":"…"},</c> is 103 bytes besides the origin and the message
    /// (<c>data</c> and <c>bytes</c> have shorter names; bytes count as their base64).
    /// </summary>
    public static long SizeOf(Publication publication) => publication.Payload.JsonLength + publication.Origin.Length + 104;

    /// <summary>
    /// Reads up to <paramref name="limit"/> publications after <paramref name="since"/> whose <see cref="SizeOf"/>
    /// adds up to at most <paramref name="maxBytes"/> (always at least one). Reads the engine in steps, so a
    /// page of a few large publications never fetches a thousand of them.
    /// </summary>
    public static async ValueTask<HistoryPage> ReadAsync(ChannelService channels, string channel, long since, int limit, long maxBytes, CancellationToken cancellationToken)
    {
        var publications = new List<Publication>(Math.Min(limit, FirstRead));
        HistoryResult? first = null;
        var position = default(StreamPosition);
        var after = since;
        var count = Math.Min(limit, FirstRead);
        long bytes = 0;
        while (true)
        {
            var part = await channels.ReadHistoryAsync(channel, after, count, cancellationToken);
            if (first is null)
            {
                first = part;
            }
            else if (part.Truncated || !string.Equals(part.Position.Epoch, first.Position.Epoch, StringComparison.Ordinal))
            {
                // The history moved between two reads: stop at what is consistent; the next page tells what happened.
                return new HistoryPage(position, publications, first.Truncated, More: true);
            }

            position = part.Position;
            foreach (var publication in part.Publications)
            {
                var size = SizeOf(publication);
                if (publications.Count > 0 && bytes + size > maxBytes)
                {
                    return new HistoryPage(position, publications, first.Truncated, More: true);
                }

                publications.Add(publication);
                bytes += size;
                after = publication.Offset;
                if (publications.Count == limit)
                {
                    return new HistoryPage(position, publications, first.Truncated, More: false);
                }
            }

            if (part.Publications.Count < count)
            {
                // The end of the history.
                return new HistoryPage(position, publications, first.Truncated, More: false);
            }

            // As many as the bytes left would hold at the average size so far, plus one to find the page's end.
            var average = Math.Max(1, bytes / publications.Count);
            count = (int)Math.Clamp(((maxBytes - bytes) / average) + 1, 1, limit - publications.Count);
        }
    }
}
