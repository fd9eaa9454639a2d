using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// What happened to channels, told once for the whole deployment by the node where it happened (webhooks);
/// implemented outside the channel layer. Every call is made on the caller's path: it must not wait.
/// </summary>
public interface IChannelEvents
{
    /// <summary>The channel got its first subscriber on any node.</summary>
    void Occupied(string channel);

    /// <summary>The channel's last subscriber on any node left.</summary>
    void Vacated(string channel);

    /// <summary>A presence member (one subscription of one connection) joined the channel.</summary>
    void MemberJoined(string channel, PresenceMember member);

    /// <summary>A presence member left the channel (unsubscribed, disconnected, or expired with its node).</summary>
    void MemberLeft(string channel, PresenceMember member);

    /// <summary>A publication was accepted (not a duplicate), with its payload as the engine stores it (a message JSON-escaped, without quotes).</summary>
    void Published(string channel, string origin, StreamPosition position, PublicationPayload payload);
}
