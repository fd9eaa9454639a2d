using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// This node's subscriptions, by channel: the engine's listener. The engine hands it every publication for
/// channels with local subscribers, in offset order per channel; the hub passes each one to every
/// subscription without waiting on any socket (a subscription only queues the shared frame).
/// </summary>
public sealed class ChannelHub : IEngineListener
{
    private readonly ConcurrentDictionary<string, LocalChannel> _channels = new(StringComparer.Ordinal);
    private volatile INodeCommandListener? _commands;

    /// <summary>
    /// Hands the publications of <see cref="INodeCommandListener.Channel"/> to <paramref name="listener"/> instead of
    /// subscriptions (no client can subscribe to that channel), and keeps this node subscribed to it in the engine.
    /// </summary>
    internal void Attach(INodeCommandListener listener) => _commands = listener;

    /// <summary>Adds a subscription. Returns true if it is the channel's first on this node.</summary>
    internal bool Add(ChannelSubscription subscription)
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

                channel.Add(subscription);
                return channel.Count == 1;
            }
        }
    }

    /// <summary>Removes a subscription. Returns true if it was the channel's last on this node.</summary>
    internal bool Remove(ChannelSubscription subscription)
    {
        if (!_channels.TryGetValue(subscription.Channel, out var channel))
        {
            return false;
        }

        lock (channel)
        {
            if (!channel.Remove(subscription) || channel.Count > 0)
            {
                return false;
            }

            channel.Removed = true;
            _channels.TryRemove(new KeyValuePair<string, LocalChannel>(subscription.Channel, channel));
            return true;
        }
    }

    public bool HasSubscribers(string channel) => _channels.TryGetValue(channel, out var local) && local.Count > 0;

    bool IEngineListener.HasLocalSubscribers(string channel) =>
        HasSubscribers(channel) || (_commands is { } commands && string.Equals(channel, commands.Channel, StringComparison.Ordinal));

    void IEngineListener.DeliverPublication(Publication publication) => Deliver(publication);

    /// <summary>Channels with subscribers on this node and how many each has.</summary>
    public IReadOnlyList<(string Channel, int Subscribers)> ActiveChannels() =>
        [.. _channels.Select(entry => (entry.Key, entry.Value.Count)).Where(entry => entry.Count > 0).OrderBy(entry => entry.Key, StringComparer.Ordinal)];

    /// <summary>Hands a publication to every local subscription of its channel. Never blocks.</summary>
    [MethodImpl(HotPath.Compile)]
    public void Deliver(Publication publication)
    {
        if (_channels.TryGetValue(publication.Channel, out var channel))
        {
            // A snapshot of the slots, read without a lock (see LocalChannel).
            foreach (var subscription in channel.Subscribers)
            {
                subscription.Deliver(publication);
            }
        }
        else if (_commands is { } commands && string.Equals(publication.Channel, commands.Channel, StringComparison.Ordinal))
        {
            // Only when no subscription has the channel, so the fan-out of every other channel pays nothing for it.
            commands.Deliver(publication);
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

        // Built once per encoding, and shared by that encoding's subscribers.
        var frames = new ReadOnlyMemory<byte>?[Publication.MaxEncodings];
        foreach (var subscription in local.Subscribers)
        {
            var encoding = subscription.Encoding;
            var frame = frames[encoding.Slot] ??= encoding.Unrecovered(channel, position);
            subscription.DeliverUnrecoverable(frame);
        }
    }

    /// <summary>Tells the channel's subscriptions that asked for presence events that someone else joined or left.</summary>
    public void DeliverPresence(string channel, bool joined, PresenceMember member)
    {
        if (!_channels.TryGetValue(channel, out var local) || local.PresenceWatchers == 0)
        {
            // Nobody here asked for presence events (legacy clients never do): no walk over every subscriber.
            return;
        }

        // Built once per encoding, and shared by that encoding's watchers.
        ReadOnlyMemory<byte>?[]? frames = null;
        foreach (var subscription in local.Subscribers)
        {
            if (subscription.WantsPresence && subscription.ClientKey != member.ClientKey)
            {
                var encoding = subscription.Encoding;
                frames ??= new ReadOnlyMemory<byte>?[Publication.MaxEncodings];
                var frame = frames[encoding.Slot] ??= encoding.PresenceEvent(joined, channel, member);
                subscription.DeliverControl(frame);
            }
        }
    }

    /// <summary>
    /// A channel's subscribers, read without a lock by deliveries through a <see cref="SubscriberSlots"/>
    /// snapshot: chunks of <see cref="SubscriberSlots.ChunkSize"/> slots, of which the first
    /// <see cref="SubscriberSlots.Length"/> are in use. Subscribing writes the next free slot, one that no
    /// published snapshot includes yet, and publishes a snapshot one slot longer; unsubscribing empties the
    /// slot in place (a delivery running meanwhile either still reaches that subscription or skips it, as a
    /// removal at that moment allows). Neither copies subscriber arrays: with copy-on-write chunks, every
    /// connect copied its chunk and every close up to two (about 4 KB of garbage per connection, 29 % of
    /// what a connection storm allocated). When more than half the slots in use are empty the live entries
    /// are copied into fresh chunks (amortized: at most a few bytes per removal). A slot is never reused in
    /// arrays a published snapshot may still read: an entry is only ever moved by that copy.
    /// Changes are made under the channel's lock.
    /// </summary>
    private sealed class LocalChannel
    {
        private volatile SubscriberSlots _slots = SubscriberSlots.Empty;
        private volatile int _count;
        private volatile int _presenceWatchers;

        public SubscriberSlots Subscribers => _slots;

        public int Count => _count;

        /// <summary>Subscriptions that asked for presence events.</summary>
        public int PresenceWatchers => _presenceWatchers;

        public bool Removed { get; set; }

        public void Add(ChannelSubscription subscription)
        {
            var slots = _slots;
            var index = slots.Length;
            var chunks = slots.Chunks;
            if (index == chunks.Length * SubscriberSlots.ChunkSize)
            {
                chunks = [.. chunks, new ChannelSubscription?[SubscriberSlots.ChunkSize]];
            }

            // Beyond every published snapshot's length: no delivery reads this slot before the snapshot below.
            chunks[index / SubscriberSlots.ChunkSize][index % SubscriberSlots.ChunkSize] = subscription;
            subscription.HubIndex = index;
            _slots = new SubscriberSlots(chunks, index + 1);
            _count++;
            _presenceWatchers += subscription.WantsPresence ? 1 : 0;
        }

        public bool Remove(ChannelSubscription subscription)
        {
            var index = subscription.HubIndex;
            var slots = _slots;
            if (index < 0 || index >= slots.Length)
            {
                return false;
            }

            var chunk = slots.Chunks[index / SubscriberSlots.ChunkSize];
            if (!ReferenceEquals(chunk[index % SubscriberSlots.ChunkSize], subscription))
            {
                return false;
            }

            Volatile.Write(ref chunk[index % SubscriberSlots.ChunkSize], null);
            subscription.HubIndex = -1;
            _count--;
            _presenceWatchers -= subscription.WantsPresence ? 1 : 0;
            var empty = slots.Length - _count;
            if (_count == 0)
            {
                _slots = SubscriberSlots.Empty;
            }
            else if (empty >= SubscriberSlots.ChunkSize && empty * 2 > slots.Length)
            {
                _slots = Compacted(slots, _count);
            }

            return true;
        }

        /// <summary>The live entries of <paramref name="slots"/> in fresh chunks, each told its new place.</summary>
        private static SubscriberSlots Compacted(SubscriberSlots slots, int count)
        {
            var chunks = new ChannelSubscription?[(count + SubscriberSlots.ChunkSize - 1) / SubscriberSlots.ChunkSize][];
            for (var i = 0; i < chunks.Length; i++)
            {
                chunks[i] = new ChannelSubscription?[SubscriberSlots.ChunkSize];
            }

            var next = 0;
            foreach (var subscription in slots)
            {
                chunks[next / SubscriberSlots.ChunkSize][next % SubscriberSlots.ChunkSize] = subscription;
                subscription.HubIndex = next;
                next++;
            }

            return new SubscriberSlots(chunks, next);
        }
    }
}
