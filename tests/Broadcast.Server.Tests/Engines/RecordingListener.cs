using System.Collections.Concurrent;
using Broadcast.Server.Engines;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>A node's side of the engine contract: records what the engine hands it, for the channels it says it has subscribers of.</summary>
internal sealed class RecordingListener : IEngineListener
{
    private readonly ConcurrentDictionary<string, byte> _subscribed = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Publication> _publications = new();
    private readonly ConcurrentQueue<(string Channel, bool Joined, PresenceMember Member)> _presence = new();
    private readonly ConcurrentQueue<(string Channel, StreamPosition Position)> _unrecoverable = new();

    public void Subscribe(string channel) => _subscribed[channel] = 0;

    public void Unsubscribe(string channel) => _subscribed.TryRemove(channel, out _);

    public List<Publication> Publications(string channel) => [.. _publications.Where(p => p.Channel == channel)];

    public List<(bool Joined, PresenceMember Member)> PresenceEvents(string channel) => [.. _presence.Where(e => e.Channel == channel).Select(e => (e.Joined, e.Member))];

    public List<StreamPosition> Unrecoverable(string channel) => [.. _unrecoverable.Where(e => e.Channel == channel).Select(e => e.Position)];

    public Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what) => Eventually.TrueAsync(condition, timeout, what);

    public void DeliverPublication(Publication publication) => _publications.Enqueue(publication);

    public void DeliverUnrecoverable(string channel, StreamPosition position) => _unrecoverable.Enqueue((channel, position));

    public void DeliverPresence(string channel, bool joined, PresenceMember member) => _presence.Enqueue((channel, joined, member));

    public bool HasLocalSubscribers(string channel) => _subscribed.ContainsKey(channel);
}
