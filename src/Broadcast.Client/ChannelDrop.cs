namespace Broadcast.Client;

/// <summary>
/// The server skipped publications of a channel because this client read too slowly (the channel is
/// configured to drop rather than disconnect): <see cref="BroadcastClient.PublicationsDropped"/>.
/// </summary>
/// <param name="Channel">The subscription that lost publications.</param>
/// <param name="Count">How many were skipped. The next publications carry later offsets; history still has the skipped ones while the server keeps them.</param>
public sealed record ChannelDrop(string Channel, int Count);
