namespace Broadcast.Server.Security;

/// <summary>Who a validated token (or the application's backend) says the client is, and what it may do until <see cref="ExpiresAt"/>.</summary>
/// <param name="UserId">The token's <c>sub</c>, shown in presence as <c>user</c>; null when the token has none.</param>
/// <param name="Subscribe">Patterns from the <c>subscribe</c> claim.</param>
/// <param name="Publish">Patterns from the <c>publish</c> claim.</param>
/// <param name="ExpiresAt">The token's <c>exp</c>.</param>
public sealed record ClientPrincipal(string? UserId, ChannelPatterns Subscribe, ChannelPatterns Publish, DateTimeOffset ExpiresAt)
{
    /// <summary>The latest deadline a principal can have: the last second of year 9999 (no <c>expireAt</c> from the backend).</summary>
    public static readonly DateTimeOffset NoExpiry = DateTimeOffset.FromUnixTimeSeconds(253_402_300_799);

    /// <summary>
    /// Channels the connection is subscribed to by the server when it starts (the token's <c>channels</c> claim,
    /// or the connect proxy's), with no request of its own; being named here also allows subscribing to them.
    /// </summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    public PrincipalSource Source { get; init; } = PrincipalSource.Token;
}
