namespace Broadcast.Client;

/// <summary>Publications of a channel's history, gathered from as many of the server's pages as it took.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Epoch">The channel's epoch.</param>
/// <param name="Offset">The channel's latest offset.</param>
/// <param name="Truncated">True when publications after the requested offset have already left the history.</param>
/// <param name="Publications">Oldest first.</param>
public sealed record HistoryResult(string Channel, string Epoch, long Offset, bool Truncated, IReadOnlyList<Publication> Publications);
