using System.Collections.Concurrent;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Tests.Engines;

/// <summary>Records what a node's engine reports as expired members, as the channel layer would pass it on to webhooks.</summary>
internal sealed class RecordingExpiryObserver : IPresenceExpiryObserver
{
    private readonly ConcurrentQueue<(string Channel, PresenceMember Member, bool Vacated)> _reports = new();

    /// <summary>Every expired member reported, with whether its report said the channel was vacated.</summary>
    public IReadOnlyList<(string Channel, PresenceMember Member, bool Vacated)> Reports => [.. _reports];

    public void MembersExpired(string channel, IReadOnlyList<PresenceMember> members, bool vacated)
    {
        foreach (var member in members)
        {
            _reports.Enqueue((channel, member, vacated));
        }
    }
}
