namespace Broadcast.Server.Engines;

/// <summary>
/// Told about presence changes no caller's answer carried. Members of a dead node that an engine removed
/// outside a join or leave (a presence refresh, a presence read, the periodic sweep): the removal is atomic in
/// the engine's store, so exactly one node in the deployment is told about each member. And joins and leaves
/// whose answer was lost (the store may or may not have run them; the caller got an exception): the node that
/// sent one asks again until the store answers what it decided, and is told that here. Either way that node
/// reports it (webhooks), no other does.
/// </summary>
public interface IPresenceExpiryObserver
{
    /// <summary>
    /// <paramref name="members"/> expired and were removed from <paramref name="channel"/>; each one left.
    /// <paramref name="vacated"/>: that removal left the channel with no member.
    /// </summary>
    void MembersExpired(string channel, IReadOnlyList<PresenceMember> members, bool vacated);

    /// <summary>
    /// What the join (<paramref name="joined"/>) or leave of <paramref name="member"/> changed, learned after
    /// its caller was told it failed. By default nothing: an engine whose calls never end unknown needs none.
    /// </summary>
    void OutcomeSettled(string channel, PresenceMember member, bool joined, PresenceChange change)
    {
    }
}
