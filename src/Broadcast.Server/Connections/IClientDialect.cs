using Broadcast.Server.Channels;

namespace Broadcast.Server.Connections;

/// <summary>
/// A wire dialect, as one client's connection uses it (SignalR's IHubProtocol, centrifuge's per-client
/// protocol): chosen by the subprotocol the client offered, it reads each complete message and answers in its
/// own encoding. The connection knows nothing of what the messages mean.
/// </summary>
public interface IClientDialect
{
    /// <summary>Its name in metrics and the admin view (<c>legacy</c>, <c>v2</c>).</summary>
    string Name { get; }

    /// <summary>The subprotocol a client offers to speak it; null for the dialect of clients that offer none.</summary>
    string? Subprotocol { get; }

    /// <summary>
    /// Whether its clients may be told what the server did to their subscriptions on its own (an <c>unsubscribed</c>
    /// notice when the application unsubscribes a user). False for the original protocol, whose clients must never
    /// get anything but their messages; every dialect a client chooses by subprotocol is an extended one, so that is
    /// the default, which a dialect may override.
    /// </summary>
    bool ReceivesServerNotices => Subprotocol is not null;

    /// <summary>How the channel layer's frames are encoded for its clients.</summary>
    IChannelEncoding Encoding { get; }

    /// <summary>
    /// True for a dialect whose frames are binary (MessagePack): its connection sends binary WebSocket frames, and a
    /// JSON frame written for its session (by a handler it shares with a JSON dialect) goes through <see cref="FromJson"/>.
    /// </summary>
    bool IsBinary => false;

    /// <summary>A binary dialect's encoding of a JSON frame (a reply or notice); called once per frame, never for publications.</summary>
    ReadOnlyMemory<byte> FromJson(ReadOnlyMemory<byte> jsonFrame) => jsonFrame;

    /// <summary>Right after the upgrade, before the connection is counted (the legacy dialect subscribes its client to the default channel here).</summary>
    ValueTask OpenAsync(ClientSession session);

    /// <summary>
    /// One complete message. <paramref name="message"/> is valid only until the returned task is created: read
    /// it synchronously. The task completes once the message was answered or is in flight (pipelined publishes).
    /// </summary>
    ValueTask HandleAsync(ClientSession session, ReadOnlySpan<byte> message, bool isBinary);
}
