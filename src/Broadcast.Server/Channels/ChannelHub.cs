using System.Collections.Concurrent;

namespace Broadcast.Server.Channels;

/// <summary>
/// This node's subscriptions, by channel. The engine hands it every publication for channels with
/// local subscribers, in offset order per channel; the hub passes each one to every subscription
/// without waiting on any socket (a subscription only queues the shared frame).
/// </summary>
public sealed class ChannelHub
{
    private readonly ConcurrentDictionary<string, LocalChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>Adds a subscription. Returns true if it is the channel's first on this node.</summary>
    internal bool Add(Subscription subscription)
    {
        while (true)
        {
            var channel = _channels.GetOrAdd(subscription.Channel, static name => new LocalChannel());
            lock (channel)
            {
                if (channel.Removed)
                {
                    continue;
                }

                channel.Subscribers = [.. channel.Subscribers, subscription];
                return channel.Subscribers.Length == 1;
            }
        }
    }

    /// <summary>Removes a subscription. Returns true if it was the channel's last on this node.</summary>
    internal bool Remove(Subscription subscription)
    {
        if (!_channels.TryGetValue(subscription.Channel, out var channel))
        {
            return false;
        }

        lock (channel)
        {
            var index = Array.IndexOf(channel.Subscribers, subscription);
            if (index < 0)
            {
                return false;
            }

            channel.Subscribers = [.. channel.Subscribers.AsSpan(0, index), .. channel.Subscribers.AsSpan(index + 1)];
            if (channel.Subscribers.Length > 0)
            {
                return false;
            }

            channel.Removed = true;
            _channels.TryRemove(new KeyValuePair<string, LocalChannel>(subscription.Channel, channel));
            return true;
        }
    }

    public bool HasSubscribers(string channel) => _channels.TryGetValue(channel, out var local) && local.Subscribers.Length > 0;

    /// <summary>Channels with subscribers on this node and how many each has.</summary>
    public IReadOnlyList<(string Channel, int Subscribers)> ActiveChannels() =>
        [.. _channels.Select(entry => (entry.Key, entry.Value.Subscribers.Length)).Where(entry => entry.Length > 0).OrderBy(entry => entry.Key, StringComparer.Ordinal)];

    /// <summary>Hands a publication to every local subscription of its channel. Never blocks.</summary>
    public void Deliver(Publication publication)
    {
        if (_channels.TryGetValue(publication.Channel, out var channel))
        {
            // The array is replaced, never changed, when subscriptions come and go: iterate without a lock.
            foreach (var subscription in channel.Subscribers)
            {
                subscription.Deliver(publication);
            }
        }
    }

    /// <summary>
    /// Tells every subscription of the channel that publications before <paramref name="position"/> may
    /// have been lost and cannot be recovered (the engine lost them, e.g. Redis restarted without its data).
    /// </summary>
    public void DeliverUnrecoverable(string channel, StreamPosition position)
    {
        if (!_channels.TryGetValue(channel, out var local))
        {
            return;
        }

        var frame = Protocol.ServerFrames.Unrecovered(channel, position);
        foreach (var subscription in local.Subscribers)
        {
            subscription.DeliverUnrecoverable(frame);
        }
    }

    /// <summary>Tells the channel's subscriptions that asked for presence events that someone else joined or left.</summary>
    public void DeliverPresence(string channel, bool joined, PresenceMember member)
    {
        if (!_channels.TryGetValue(channel, out var local))
        {
            return;
        }

        byte[]? frame = null;
        foreach (var subscription in local.Subscribers)
        {
            if (subscription.WantsPresence && subscription.ClientKey != member.ClientKey)
            {
                frame ??= Protocol.ServerFrames.PresenceEvent(joined, channel, member);
                subscription.DeliverControl(frame);
            }
        }
    }

    private sealed class LocalChannel
    {
        public Subscription[] Subscribers { get; set; } = [];

        public bool Removed { get; set; }
    }
}
