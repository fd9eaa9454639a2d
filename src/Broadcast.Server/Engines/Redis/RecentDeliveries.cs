namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The last few publications a channel listener delivered, by offset, with what identifies their content (the
/// publish time in µs and the origin): a publication that arrives again under one of those offsets with other
/// content was given an offset Redis had already handed out, which only a failover that went backwards does.
/// A repeat of the same publication (pub/sub after a gap was filled from the stream) is not one.
/// </summary>
/// <remarks>A fixed ring, about 2 KB per listened channel: a lossy failover loses the newest publications, which are the ones kept.</remarks>
internal sealed class RecentDeliveries
{
    private const int Size = 64;

    private readonly (long Offset, long Ticks, string? Origin)[] _ring = new (long, long, string?)[Size];

    public void Add(Publication publication) =>
        _ring[(int)(publication.Offset % Size)] = (publication.Offset, publication.TimestampUtc.Ticks, publication.Origin);

    /// <summary>True when <paramref name="publication"/>'s offset was delivered recently with other content.</summary>
    public bool IsReuse(Publication publication)
    {
        var (offset, ticks, origin) = _ring[(int)(publication.Offset % Size)];
        return offset == publication.Offset && (ticks != publication.TimestampUtc.Ticks || !string.Equals(origin, publication.Origin, StringComparison.Ordinal));
    }
}
