namespace Broadcast.Baselines.SignalR;

/// <summary>The argument of the <c>message</c> invocation; serialized as <c>{"message","timestamp"}</c>.</summary>
public sealed record BroadcastMessage(string Message, string Timestamp);
