namespace Broadcast.Server.Engines;

/// <summary>
/// Told about members of a dead node that an engine removed outside a join or leave (a presence refresh, a
/// presence read, the periodic sweep). The removal is atomic in the engine's store, so exactly one node in the
/// deployment is told about each member: that node reports it (webhooks), no other does.
/// </summary>
public interface IPresenceExpiryObserver
{
    /// <summary>
    /// <paramref name="members"/> expired and were removed from <paramref name="channel"/>; each one left.
    /// <paramref name="vacated"/>: that removal left the channel with no member.
    /// </summary>
    void MembersExpired(string channel, IReadOnlyList<PresenceMember> members, bool vacated);
}
