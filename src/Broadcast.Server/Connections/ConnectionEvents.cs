using Broadcast.Server.Configuration;
using Broadcast.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>What connections report back to the server (slow consumers), and the timing they share.</summary>
internal sealed class ConnectionEvents(IOptions<BroadcastOptions> options, BroadcastMetrics metrics, ILogger<ClientConnection> logger)
{
    public TimeSpan CloseTimeout { get; } = options.Value.CloseTimeout;

    public void SlowConsumer(ClientConnection connection)
    {
        metrics.SlowConsumerDisconnected();
        ConnectionLog.SlowConsumer(logger, connection.Id, options.Value.OutboundQueueCapacity);
    }
}
