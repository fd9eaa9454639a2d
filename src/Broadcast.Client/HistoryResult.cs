namespace Broadcast.Client;

/// <summary>A page of a channel's history.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Epoch">The channel's epoch.</param>
/// <param name="Offset">The channel's latest offset.</param>
/// <param name="Truncated">True when publications after the requested offset have already left the history.</param>
/// <param name="Publications">Oldest first.</param>
public sealed record HistoryResult(string Channel, string Epoch, long Offset, bool Truncated, IReadOnlyList<Publication> Publications);
