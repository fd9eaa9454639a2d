namespace Broadcast.Client;

/// <summary>Someone else subscribed to (<see cref="Joined"/> true) or left a channel.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Joined">True for <c>join</c>, false for <c>leave</c>.</param>
/// <param name="Member">Who.</param>
public sealed record PresenceChange(string Channel, bool Joined, PresenceMember Member);
