using System.Diagnostics.Metrics;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// The server's own meters (System.Diagnostics.Metrics), readable with dotnet-counters or any
/// OpenTelemetry exporter. Hot-path counters are added once per publication, not per recipient.
/// </summary>
public sealed class BroadcastMetrics
{
    public const string MeterName = "Broadcast.Server";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _connectionsClosed;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _messagesRejected;
    private readonly Counter<long> _messagesDelivered;
    private readonly Counter<long> _slowConsumerDisconnects;

    public BroadcastMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("broadcast.server.connections", "{connection}", "Open WebSocket connections.");
        _connectionsOpened = meter.CreateCounter<long>("broadcast.server.connections.opened", "{connection}", "WebSocket connections accepted.");
        _connectionsClosed = meter.CreateCounter<long>("broadcast.server.connections.closed", "{connection}", "WebSocket connections ended, by reason.");
        _messagesReceived = meter.CreateCounter<long>("broadcast.server.messages.received", "{message}", "Valid messages received from clients.");
        _messagesRejected = meter.CreateCounter<long>("broadcast.server.messages.rejected", "{message}", "Client messages rejected, by error code.");
        _messagesDelivered = meter.CreateCounter<long>("broadcast.server.messages.delivered", "{message}", "Frames queued to recipients.");
        _slowConsumerDisconnects = meter.CreateCounter<long>("broadcast.server.slow_consumer.disconnects", "{connection}", "Clients closed because their outbound queue overflowed.");
    }

    public void ConnectionOpened()
    {
        _connections.Add(1);
        _connectionsOpened.Add(1);
    }

    public void ConnectionClosed(string reason)
    {
        _connections.Add(-1);
        _connectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void MessageReceived() => _messagesReceived.Add(1);

    public void MessageRejected(string code) => _messagesRejected.Add(1, new KeyValuePair<string, object?>("error.type", code));

    public void MessagesDelivered(int count) => _messagesDelivered.Add(count);

    public void SlowConsumerDisconnected() => _slowConsumerDisconnects.Add(1);
}
