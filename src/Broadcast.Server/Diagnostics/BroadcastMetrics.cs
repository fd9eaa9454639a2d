using System.Diagnostics.Metrics;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// The server's own instruments on the <c>Broadcast.Server</c> meter (System.Diagnostics.Metrics),
/// exported at <c>/metrics</c> and readable with dotnet-counters. Names follow the OpenTelemetry
/// semantic conventions (a namespace, dots, units in UCUM; see docs/metrics.md).
/// </summary>
/// <remarks>
/// The hot counters (messages, bytes) are plain totals behind observable instruments: the fan-out and
/// the writers pay one interlocked add, aggregated per publication or per writer batch, never per
/// recipient tag lookup, and the admin view reads the very same totals. Rare events (connections,
/// rejections, slow consumers, engine errors) use ordinary counters with attributes. It is the observer of
/// each layer it counts (transport, connections, channels, engines), registered as each of their interfaces.
/// </remarks>
public sealed class BroadcastMetrics : ITransportObserver, IConnectionObserver, IChannelObserver, IEngineObserver
{
    public const string MeterName = "Broadcast.Server";

    private readonly ConnectionRegistry _registry;
    private readonly ChannelHub _hub;
    private readonly SlowConsumerLog _slowConsumers;
    private readonly TimeProvider _clock;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _connectionsClosed;
    private readonly Histogram<double> _connectionDuration;
    private readonly Counter<long> _messagesRejected;
    private readonly Counter<long> _slowConsumerDisconnects;
    private readonly Counter<long> _slowConsumerDrops;
    private readonly Counter<long> _engineErrors;
    private readonly Counter<long> _backgroundErrors;
    private readonly Histogram<double> _deliveryDuration;
    private readonly LatencyBuckets _latency = new();
    private long _messagesReceived;
    private long _messagesPublished;
    private long _messagesDelivered;
    private long _bytesReceived;
    private long _bytesSent;
    private long _opened;
    private long _closed;
    private long _rejected;
    private long _slowConsumerCount;
    private long _dropped;
    private long _engineErrorCount;

    public BroadcastMetrics(IMeterFactory meterFactory, ConnectionRegistry registry, ChannelHub hub, SlowConsumerLog slowConsumers, TimeProvider clock)
    {
        _registry = registry;
        _hub = hub;
        _slowConsumers = slowConsumers;
        _clock = clock;
        var meter = meterFactory.Create(MeterName);
        _activeConnections = meter.CreateUpDownCounter<long>("broadcast.server.active_connections", "{connection}", "WebSocket connections open on this node.");
        _connectionsOpened = meter.CreateCounter<long>("broadcast.server.connections.opened", "{connection}", "WebSocket connections accepted.");
        _connectionsClosed = meter.CreateCounter<long>("broadcast.server.connections.closed", "{connection}", "WebSocket connections ended, by reason and close code.");
        _connectionDuration = meter.CreateHistogram<double>(
            "broadcast.server.connection.duration",
            "s",
            "How long WebSocket connections lasted.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1, 10, 60, 300, 900, 3600, 14400, 86400] });
        meter.CreateObservableCounter("broadcast.server.messages.received", () => Volatile.Read(ref _messagesReceived), "{message}", "Valid messages received from WebSocket clients.");
        meter.CreateObservableCounter("broadcast.server.messages.published", () => Volatile.Read(ref _messagesPublished), "{message}", "Publications this node's clients and HTTP API made (duplicates not counted).");
        meter.CreateObservableCounter("broadcast.server.messages.delivered", () => Volatile.Read(ref _messagesDelivered), "{message}", "Publication frames written to client sockets (live and replayed).");
        _messagesRejected = meter.CreateCounter<long>("broadcast.server.messages.rejected", "{message}", "Client input rejected, by error code.");
        meter.CreateObservableCounter("broadcast.server.network.io", ObserveBytes, "By", "WebSocket payload bytes received from and sent to clients.");
        _deliveryDuration = meter.CreateHistogram<double>(
            "broadcast.server.delivery.duration",
            "s",
            "Time from a publication's acceptance to its frame being written to a subscriber's socket (live deliveries).",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets.BoundsSeconds });
        meter.CreateObservableUpDownCounter("broadcast.server.outbound_queue.frames", () => QueueDepth().Total, "{frame}", "Frames waiting in every client's outbound queue.");
        meter.CreateObservableGauge("broadcast.server.outbound_queue.max_frames", () => QueueDepth().Max, "{frame}", "Frames waiting in the fullest client's outbound queue.");
        meter.CreateObservableUpDownCounter("broadcast.server.outbound_queue.bytes", () => QueueBytes().Total, "By", "Bytes of every frame (publications, replays, replies) waiting in every client's outbound queue.");
        meter.CreateObservableGauge("broadcast.server.outbound_queue.max_bytes", () => QueueBytes().Max, "By", "Bytes waiting in the fullest client's outbound queue.");
        _slowConsumerDisconnects = meter.CreateCounter<long>("broadcast.server.slow_consumer.disconnects", "{connection}", "Clients closed with 1008 because their outbound queue overflowed, by what did not fit.");
        _slowConsumerDrops = meter.CreateCounter<long>("broadcast.server.slow_consumer.dropped_frames", "{frame}", "Frames not delivered because the recipient's outbound queue was full.");
        _engineErrors = meter.CreateCounter<long>("broadcast.server.engine.errors", "{error}", "Engine (Redis) operations that failed, by error type.");
        _backgroundErrors = meter.CreateCounter<long>("broadcast.server.background.errors", "{error}", "Failed attempts of the node's background work (heartbeat, presence refresh, catch-up), by task and error type; each is retried.");
        meter.CreateObservableUpDownCounter("broadcast.server.active_channels", () => (long)_hub.ActiveChannels().Count, "{channel}", "Channels with subscribers on this node.");
    }

    /// <summary>Attribute names, shared by every instrument that uses them.</summary>
    public static class Attributes
    {
        public const string Protocol = "broadcast.protocol";
        public const string Transport = "broadcast.transport";
        public const string CloseReason = "broadcast.close.reason";
        public const string CloseCode = "websocket.close.code";
        public const string ErrorType = "error.type";
        public const string Engine = "broadcast.engine";
        public const string Task = "broadcast.task";
        public const string Direction = "network.io.direction";
        public const string OverflowCause = "broadcast.overflow.cause";
    }

    public void ConnectionOpened(string dialect, string transport)
    {
        Interlocked.Increment(ref _opened);
        var protocol = ProtocolTag(dialect);
        var carrier = TransportTag(transport);
        _activeConnections.Add(1, protocol, carrier);
        _connectionsOpened.Add(1, protocol, carrier);
    }

    /// <param name="reason">The label also logged (client_closed, policy_violation, connection_lost…).</param>
    /// <param name="closeCode">The WebSocket close code, if the close handshake happened.</param>
    public void ConnectionClosed(string dialect, string transport, string reason, int? closeCode, TimeSpan duration)
    {
        Interlocked.Increment(ref _closed);
        var protocol = ProtocolTag(dialect);
        var carrier = TransportTag(transport);
        _activeConnections.Add(-1, protocol, carrier);
        _connectionsClosed.Add(1, protocol, carrier, new(Attributes.CloseReason, reason), new(Attributes.CloseCode, CloseCodeTag(closeCode)));
        _connectionDuration.Record(duration.TotalSeconds, protocol, carrier);
    }

    public void MessageReceived() => Interlocked.Increment(ref _messagesReceived);

    public void Published() => Interlocked.Increment(ref _messagesPublished);

    public void MessageRejected(string code)
    {
        Interlocked.Increment(ref _rejected);
        _messagesRejected.Add(1, new KeyValuePair<string, object?>(Attributes.ErrorType, code));
    }

    public void BytesReceived(int count) => Interlocked.Add(ref _bytesReceived, count);

    /// <summary>A writer's batch: publication frames and bytes written since its last report.</summary>
    public void FramesSent(int publications, long bytes)
    {
        if (publications > 0)
        {
            Interlocked.Add(ref _messagesDelivered, publications);
        }

        Interlocked.Add(ref _bytesSent, bytes);
    }

    /// <summary>Records the latency of one live delivery: now minus the publication's timestamp (UTC ticks).</summary>
    public void DeliveryLatency(long publishedUtcTicks)
    {
        // Timestamps come from the publishing node's clock; clock skew between nodes can make them negative.
        var seconds = Math.Max(0, (_clock.GetUtcNow().UtcTicks - publishedUtcTicks) / (double)TimeSpan.TicksPerSecond);
        _deliveryDuration.Record(seconds);
        _latency.Record(seconds);
    }

    /// <param name="cause">What did not fit: a publication, or a reply (which is never dropped).</param>
    public void SlowConsumer(long connectionId, System.Net.IPAddress? remoteAddress, OverflowCause cause, int capacity)
    {
        Interlocked.Increment(ref _slowConsumerCount);
        _slowConsumerDisconnects.Add(1, new KeyValuePair<string, object?>(Attributes.OverflowCause, cause == OverflowCause.Reply ? "reply" : "publication"));
        _slowConsumers.Add(connectionId, remoteAddress?.ToString(), capacity);
    }

    public void FramesDropped(int frames)
    {
        Interlocked.Add(ref _dropped, frames);
        _slowConsumerDrops.Add(frames);
    }

    public void EngineError(string engine, string errorType)
    {
        Interlocked.Increment(ref _engineErrorCount);
        _engineErrors.Add(1, new KeyValuePair<string, object?>(Attributes.Engine, engine), new KeyValuePair<string, object?>(Attributes.ErrorType, errorType));
    }

    /// <summary>One failed attempt of background work (<see cref="BackgroundRetry"/>); <paramref name="task"/> is one of a few fixed names.</summary>
    public void BackgroundError(string task, string errorType) =>
        _backgroundErrors.Add(1, new KeyValuePair<string, object?>(Attributes.Task, task), new KeyValuePair<string, object?>(Attributes.ErrorType, errorType));

    /// <summary>Every total at once, for the admin view (which turns successive snapshots into rates).</summary>
    public MetricsSnapshot Snapshot()
    {
        var (counts, sum) = _latency.Snapshot();
        var queue = QueueDepth();
        return new MetricsSnapshot(
            _clock.GetUtcNow(),
            Volatile.Read(ref _opened),
            Volatile.Read(ref _closed),
            Volatile.Read(ref _messagesReceived),
            Volatile.Read(ref _messagesPublished),
            Volatile.Read(ref _messagesDelivered),
            Volatile.Read(ref _rejected),
            Volatile.Read(ref _bytesReceived),
            Volatile.Read(ref _bytesSent),
            Volatile.Read(ref _slowConsumerCount),
            Volatile.Read(ref _dropped),
            Volatile.Read(ref _engineErrorCount),
            queue.Total,
            queue.Max,
            LatencyBuckets.BoundsSeconds,
            counts,
            sum);
    }

    private IEnumerable<Measurement<long>> ObserveBytes() =>
    [
        new(Volatile.Read(ref _bytesReceived), new KeyValuePair<string, object?>(Attributes.Direction, "receive")),
        new(Volatile.Read(ref _bytesSent), new KeyValuePair<string, object?>(Attributes.Direction, "transmit")),
    ];

    private (long Total, long Max) QueueDepth()
    {
        long total = 0;
        long max = 0;
        foreach (var connection in _registry.All())
        {
            var depth = connection.Frames.QueuedFrames;
            total += depth;
            max = Math.Max(max, depth);
        }

        return (total, max);
    }

    private (long Total, long Max) QueueBytes()
    {
        long total = 0;
        long max = 0;
        foreach (var connection in _registry.All())
        {
            var bytes = connection.Frames.QueuedBytes;
            total += bytes;
            max = Math.Max(max, bytes);
        }

        return (total, max);
    }

    private static KeyValuePair<string, object?> ProtocolTag(string dialect) => new(Attributes.Protocol, dialect);

    private static KeyValuePair<string, object?> TransportTag(string transport) => new(Attributes.Transport, transport);

    /// <summary>Known codes as themselves; anything else a client chose (3000-4999) as "other", to bound the series.</summary>
    private static string CloseCodeTag(int? code) => code switch
    {
        null => "none",
        1000 or 1001 or 1002 or 1003 or 1006 or 1007 or 1008 or 1009 or 1010 or 1011 => code.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "other",
    };
}
