namespace Broadcast.Server.Engines;

/// <summary>One subscription as presence shows it: the client's session, the name it gave and its token's user, if any.</summary>
/// <param name="ClientKey">Unique per connection across nodes; two tabs of one session are two members.</param>
/// <param name="User">The token's <c>sub</c> when the subscription was made; unlike the name, the client cannot choose it.</param>
public sealed record PresenceMember(string ClientKey, string Session, string? Name, string? User = null);
