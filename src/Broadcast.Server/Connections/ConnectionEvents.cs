using Broadcast.Server.Configuration;
using Broadcast.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>What connections report back to the server (slow consumers, metrics), and the timing they share.</summary>
internal sealed class ConnectionEvents(IOptions<BroadcastOptions> options, BroadcastMetrics metrics, SlowConsumerLog slowConsumers, ILogger<ClientConnection> logger)
{
    public TimeSpan CloseTimeout { get; } = options.Value.CloseTimeout;

    /// <summary>Writes every connection's queued frames, in rounds at most <c>Broadcast:FlushInterval</c> apart.</summary>
    public FlushScheduler Flusher { get; } = new(options.Value.FlushInterval, Environment.ProcessorCount);

    public BroadcastMetrics Metrics => metrics;

    public void SlowConsumer(ClientConnection connection)
    {
        metrics.SlowConsumerDisconnected();
        slowConsumers.Add(connection.Id, connection.RemoteAddress?.ToString(), options.Value.OutboundQueueCapacity);
        ConnectionLog.SlowConsumer(logger, connection.Id, options.Value.OutboundQueueCapacity);
    }
}
