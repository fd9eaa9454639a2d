namespace Broadcast.Server.Security;

/// <summary>The backend's answer when a connection it admitted runs out of time: a new deadline, or the end.</summary>
public sealed record RefreshVerdict(BackendRefusal? Refusal, DateTimeOffset? ExpiresAt);
