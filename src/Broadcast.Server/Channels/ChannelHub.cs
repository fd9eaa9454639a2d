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
            // The chunks are replaced, never changed, when subscriptions come and go: iterate without a lock.
            foreach (var chunk in channel.Chunks)
            {
                foreach (var subscription in chunk)
                {
                    subscription.Deliver(publication);
                }
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
        foreach (var chunk in local.Chunks)
        {
            foreach (var subscription in chunk)
            {
                var encoding = subscription.Encoding;
                var frame = frames[encoding.Slot] ??= encoding.Unrecovered(channel, position);
                subscription.DeliverUnrecoverable(frame);
            }
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
        foreach (var chunk in local.Chunks)
        {
            foreach (var subscription in chunk)
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
    }

    /// <summary>
    /// A channel's subscribers as an immutable snapshot of chunks, read without a lock by deliveries. A change
    /// replaces one or two chunks of at most <see cref="ChunkSize"/> entries and the small array of chunks,
    /// so subscribing and unsubscribing cost O(ChunkSize + n / ChunkSize) instead of copying all n entries:
    /// with 15,000 subscribers a whole copy was a 120 KB large-object allocation per connect.
    /// Every chunk is full but the last; a removal moves the last entry into the freed place.
    /// Changes are made under the channel's lock.
    /// </summary>
    private sealed class LocalChannel
    {
        internal const int ChunkSize = 256;

        private volatile ChannelSubscription[][] _chunks = [];
        private volatile int _count;
        private volatile int _presenceWatchers;

        public ChannelSubscription[][] Chunks => _chunks;

        public int Count => _count;

        /// <summary>Subscriptions that asked for presence events.</summary>
        public int PresenceWatchers => _presenceWatchers;

        public bool Removed { get; set; }

        public void Add(ChannelSubscription subscription)
        {
            var chunks = _chunks;
            var index = _count;
            ChannelSubscription[][] next;
            if (index % ChunkSize == 0)
            {
                next = [.. chunks, [subscription]];
            }
            else
            {
                next = (ChannelSubscription[][])chunks.Clone();
                next[^1] = [.. chunks[^1], subscription];
            }

            subscription.HubIndex = index;
            _chunks = next;
            _count = index + 1;
            _presenceWatchers += subscription.WantsPresence ? 1 : 0;
        }

        public bool Remove(ChannelSubscription subscription)
        {
            var index = subscription.HubIndex;
            var chunks = _chunks;
            if (index < 0 || index >= _count || !ReferenceEquals(chunks[index / ChunkSize][index % ChunkSize], subscription))
            {
                return false;
            }

            var lastIndex = _count - 1;
            var last = chunks[^1];
            var next = (ChannelSubscription[][])chunks.Clone();
            if (index != lastIndex)
            {
                // The last entry takes the removed one's place (delivery order among subscribers does not matter).
                var moved = last[^1];
                var chunk = (ChannelSubscription[])chunks[index / ChunkSize].Clone();
                chunk[index % ChunkSize] = moved;
                next[index / ChunkSize] = chunk;
                moved.HubIndex = index;
            }

            if (last.Length == 1)
            {
                next = next[..^1];
            }
            else
            {
                // Taken from next, which may already hold the changed copy of the last chunk.
                next[^1] = next[^1][..^1];
            }

            subscription.HubIndex = -1;
            _chunks = next;
            _count = lastIndex;
            _presenceWatchers -= subscription.WantsPresence ? 1 : 0;
            return true;
        }
    }
}
