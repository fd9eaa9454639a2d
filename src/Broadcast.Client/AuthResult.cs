namespace Broadcast.Client;

/// <summary>The server's answer to a token refresh (<see cref="BroadcastClient.AuthenticateAsync"/>).</summary>
/// <param name="User">The token's user id (<c>sub</c>), as presence shows it; null when the token has none.</param>
/// <param name="Expires">When the token expires; refresh again before then.</param>
public sealed record AuthResult(string? User, DateTimeOffset Expires);
