using Broadcast.Server.Connections;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Protocol;

namespace Broadcast.Server.Fanout;

/// <summary>
/// Delivers a publication to every connection except its sender. The frame is serialized once
/// and the same bytes are queued to each recipient without waiting on any socket, so the cost of
/// a publication never depends on how fast the slowest client reads.
/// </summary>
/// <remarks>
/// Per-publisher order holds because a connection's messages are published one at a time from its
/// receive loop, and each recipient's queue is first-in first-out.
/// </remarks>
public sealed class Broadcaster(ConnectionRegistry registry, BroadcastMetrics metrics, TimeProvider clock)
{
    /// <summary>Publishes a validated message to everyone but <paramref name="sender"/>. Returns the number of recipients.</summary>
    public int PublishFromClient(ClientConnection? sender, ReadOnlySpan<byte> escapedMessage)
    {
        var frame = BroadcastFrame.Build(escapedMessage, clock.GetUtcNow().UtcDateTime);
        var delivered = 0;
        foreach (var connection in registry.All())
        {
            if (!ReferenceEquals(connection, sender) && connection.TryEnqueue(frame))
            {
                delivered++;
            }
        }

        metrics.MessagesDelivered(delivered);
        return delivered;
    }
}
