namespace Broadcast.Server.Security;

/// <summary>What a fresh token did: replaced the principal (<see cref="Principal"/>), or why not (<see cref="Refusal"/>, and for the log <see cref="Failure"/>).</summary>
public readonly record struct TokenRefresh(TokenRefusal Refusal, ClientPrincipal? Principal, string? Failure);
