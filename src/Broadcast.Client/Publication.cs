namespace Broadcast.Client;

/// <summary>One message on a channel, at its position (<paramref name="Epoch"/>, <paramref name="Offset"/>).</summary>
/// <param name="Channel">The channel it was published on.</param>
/// <param name="Offset">Its offset: 1, 2, 3, … in the order the channel accepted publications.</param>
/// <param name="Epoch">The channel's epoch; it changes when the channel's history is lost.</param>
/// <param name="Origin">The public id of the publisher's session (<c>http</c> for the HTTP API).</param>
/// <param name="Timestamp">When the server accepted it.</param>
/// <param name="Message">The text.</param>
public sealed record Publication(string Channel, long Offset, string Epoch, string Origin, DateTimeOffset Timestamp, string Message);
