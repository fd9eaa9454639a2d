using Broadcast.Server.Transport;

namespace Broadcast.Server.Channels;

/// <summary>
/// Whoever subscribes to channels (a client's session): who it is in presence, which encoding its frames
/// use, and where they go. The channel layer needs nothing else of a connection.
/// </summary>
public interface ISubscriber
{
    /// <summary>The public id of the subscriber's session: the origin of its publications (never sent back to it) and its id in presence.</summary>
    string Session { get; }

    /// <summary>Unique per connection across nodes: two tabs of one session are two presence members.</summary>
    string ClientKey { get; }

    /// <summary>The display name shown in presence, if any.</summary>
    string? Name { get; }

    /// <summary>The token's <c>sub</c>, if any: shown in presence as <c>user</c>.</summary>
    string? UserId { get; }

    /// <summary>How this subscriber's frames are encoded (its dialect's encoding).</summary>
    IChannelEncoding Encoding { get; }

    /// <summary>Where its frames are queued.</summary>
    IFrameSink Frames { get; }

    /// <summary>Its subscriptions, by channel; touched only by the subscriber's own receive loop.</summary>
    Dictionary<string, ChannelSubscription> Subscriptions { get; }
}
