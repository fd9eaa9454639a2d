namespace Broadcast.Client;

/// <summary>Who is subscribed to a channel right now.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Count">The number of subscriptions.</param>
/// <param name="Members">The subscribers.</param>
public sealed record PresenceResult(string Channel, int Count, IReadOnlyList<PresenceMember> Members);
