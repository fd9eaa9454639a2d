namespace Broadcast.Server.Engines;

/// <summary>
/// Publications after a position, read together with the channel's current position so that nothing
/// published in between is missed or counted twice.
/// </summary>
/// <param name="Position">The channel's epoch and latest offset at the time of the read.</param>
/// <param name="Publications">Publications after the requested offset, oldest first, at most the limit.</param>
/// <param name="Truncated">True when publications after the requested offset have already left the history.</param>
public sealed record HistoryResult(StreamPosition Position, IReadOnlyList<Publication> Publications, bool Truncated);
