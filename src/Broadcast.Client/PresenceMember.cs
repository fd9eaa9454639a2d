namespace Broadcast.Client;

/// <summary>A subscriber of a channel.</summary>
/// <param name="Session">Its session id.</param>
/// <param name="Name">The name it gave in <c>hello</c>; null for legacy connections or when it gave none.</param>
public sealed record PresenceMember(string Session, string? Name);
