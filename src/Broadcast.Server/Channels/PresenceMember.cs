namespace Broadcast.Server.Channels;

/// <summary>One subscription as presence shows it: the client's session and the name it gave, if any.</summary>
/// <param name="ClientKey">Unique per connection across nodes; two tabs of one session are two members.</param>
public sealed record PresenceMember(string ClientKey, string Session, string? Name);
