using Broadcast.Server.Configuration;
using Broadcast.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>What connections report back to the server (slow consumers, metrics), and the timing they share.</summary>
internal sealed class ConnectionEvents(IOptions<BroadcastOptions> options, BroadcastMetrics metrics, SlowConsumerLog slowConsumers, ILogger<ClientConnection> logger)
{
    public TimeSpan CloseTimeout { get; } = options.Value.CloseTimeout;

    /// <summary>Bytes that may wait in one connection's queue (<c>Broadcast:OutboundQueueBytes</c>).</summary>
    public long QueueBytes { get; } = options.Value.OutboundQueueBytes;

    /// <summary>Writes every connection's queued frames, in rounds at most <c>Broadcast:FlushInterval</c> apart.</summary>
    public FlushScheduler Flusher { get; } = new(options.Value.FlushInterval, Environment.ProcessorCount);

    public BroadcastMetrics Metrics => metrics;

    /// <param name="connection">The client closed with 1008.</param>
    /// <param name="cause">What did not fit: a publication, or a reply (replies, errors, notices).</param>
    public void SlowConsumer(ClientConnection connection, OverflowCause cause)
    {
        metrics.SlowConsumerDisconnected(cause);
        slowConsumers.Add(connection.Id, connection.RemoteAddress?.ToString(), options.Value.OutboundQueueCapacity);
        ConnectionLog.SlowConsumer(logger, connection.Id, cause == OverflowCause.Reply ? "reply" : "publication", options.Value.OutboundQueueCapacity, QueueBytes);
    }
}
