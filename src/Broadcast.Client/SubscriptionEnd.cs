namespace Broadcast.Client;

/// <summary>
/// The server ended a subscription by itself (<see cref="BroadcastClient.SubscriptionEnded"/>), for example
/// because a refreshed token no longer allows the channel (<see cref="ErrorCodes.Forbidden"/>).
/// </summary>
/// <param name="Channel">The channel that is no longer subscribed.</param>
/// <param name="Code">Why, one of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">The server's explanation, for people.</param>
public sealed record SubscriptionEnd(string Channel, string Code, string Message);
