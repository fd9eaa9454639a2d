using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// Tells <see cref="IChannelEvents"/> what a join or leave changed, in the order it happened: the expired
/// members the engine dropped on the way left first (and, if that emptied the channel before this join, it
/// was vacated), then this member, then the channel. Used with the engine's answer to a join or leave, and
/// with the answer it learned later when the first one was lost.
/// </summary>
internal static class PresenceChangeReport
{
    public static void Tell(IChannelEvents events, string channel, PresenceChange change, PresenceMember member, bool joined)
    {
        foreach (var expired in change.Expired)
        {
            events.MemberLeft(channel, expired);
        }

        if (joined && change.Channel && change.Expired.Count > 0)
        {
            events.Vacated(channel);
        }

        if (joined)
        {
            if (change.Channel)
            {
                events.Occupied(channel);
            }

            if (change.Member)
            {
                events.MemberJoined(channel, member);
            }
        }
        else
        {
            if (change.Member)
            {
                events.MemberLeft(channel, member);
            }

            if (change.Channel)
            {
                events.Vacated(channel);
            }
        }
    }
}
