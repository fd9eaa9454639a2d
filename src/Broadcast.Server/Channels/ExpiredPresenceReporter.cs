using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// Passes the expired members the engine removed outside a join or leave (a dead node's, found by a refresh, a
/// presence read or the sweep) on to <see cref="IChannelEvents"/>: each one left, then the channel was vacated.
/// And the outcome of a join or leave the engine learned after its caller was told it failed.
/// A hosted service, so it is attached at start-up on every node, also on one no client ever connects to (the
/// engine cannot take the events itself: the webhook queue they feed is the engine's own).
/// </summary>
internal sealed class ExpiredPresenceReporter(IPresenceEngine presence, IChannelEvents events) : IPresenceExpiryObserver, IHostedService
{
    public void MembersExpired(string channel, IReadOnlyList<PresenceMember> members, bool vacated)
    {
        foreach (var member in members)
        {
            events.MemberLeft(channel, member);
        }

        if (vacated)
        {
            events.Vacated(channel);
        }
    }

    public void OutcomeSettled(string channel, PresenceMember member, bool joined, PresenceChange change) =>
        PresenceChangeReport.Tell(events, channel, change, member, joined);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        presence.ObserveExpiry(this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
