namespace Broadcast.Server.Security;

/// <summary>Who a validated token says the client is, and what it may do until <see cref="ExpiresAt"/>.</summary>
/// <param name="UserId">The token's <c>sub</c>, shown in presence as <c>user</c>; null when the token has none.</param>
/// <param name="Subscribe">Patterns from the <c>subscribe</c> claim.</param>
/// <param name="Publish">Patterns from the <c>publish</c> claim.</param>
/// <param name="ExpiresAt">The token's <c>exp</c>.</param>
public sealed record ClientPrincipal(string? UserId, ChannelPatterns Subscribe, ChannelPatterns Publish, DateTimeOffset ExpiresAt);
