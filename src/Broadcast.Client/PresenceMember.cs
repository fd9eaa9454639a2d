namespace Broadcast.Client;

/// <summary>A subscriber of a channel.</summary>
/// <param name="Session">Its session's public id (compare with <see cref="BroadcastClient.PublicSessionId"/>).</param>
/// <param name="Name">The name it gave in <c>hello</c>; null for legacy connections or when it gave none.</param>
/// <param name="User">
/// The user id (<c>sub</c>) of the token its connection had when it subscribed: unlike <paramref name="Name"/>,
/// not chosen by the client. Null for members without a token.
/// </param>
public sealed record PresenceMember(string Session, string? Name, string? User = null);
