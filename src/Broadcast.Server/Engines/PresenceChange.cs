namespace Broadcast.Server.Engines;

/// <summary>
/// What a presence join or leave changed, decided once for the whole deployment by the engine's store (so a
/// webhook about it is sent by the one node that made the change, not by every node).
/// </summary>
/// <param name="Member">The member was added (join) or removed (leave); false when it already was, or no longer was.</param>
/// <param name="Channel">The channel went from no member to one (join: occupied) or from some to none (leave: vacated).</param>
/// <param name="Expired">
/// Members of a node that died, found expired and removed in the same step (Redis); each one left. When
/// <see cref="Channel"/> is set on a join with expired members, the channel was empty once they were gone: it was vacated, then occupied.
/// </param>
public readonly record struct PresenceChange(bool Member, bool Channel, IReadOnlyList<PresenceMember> Expired)
{
    public static PresenceChange Of(bool member, bool channel) => new(member, channel, []);
}
