namespace Broadcast.Client;

/// <summary>The server's acknowledgement of a publication.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Offset">The offset the server assigned.</param>
/// <param name="Epoch">The channel's epoch.</param>
/// <param name="Duplicate">
/// True when the server had already accepted this publication (a retry after a lost acknowledgement);
/// it was not published twice.
/// </param>
public sealed record PublishResult(string Channel, long Offset, string Epoch, bool Duplicate);
