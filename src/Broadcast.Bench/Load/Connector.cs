using System.Diagnostics;
using Broadcast.Bench.Cli;
using Broadcast.Bench.Net;
using HdrHistogram;

namespace Broadcast.Bench.Load;

/// <summary>Opens a worker's connections with bounded concurrency and records how that went.</summary>
public sealed class Connector(BenchOptions options, ProtocolDialect dialect)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    private readonly WebSocketEndpoint _endpoint = new(options.Url, dialect.SubProtocol, options.Deflate);
    private readonly Lock _lock = new();

    public LongHistogram LatencyMicros { get; } = LatencyHistograms.Create();

    public int Connected { get; private set; }

    public int Refused { get; private set; }

    public int Rejected { get; private set; }

    public int Failed { get; private set; }

    public string? FirstError { get; private set; }

    public long StartTicks { get; private set; }

    public long EndTicks { get; private set; }

    public async Task ConnectAllAsync(IReadOnlyList<LoadConnection> connections)
    {
        StartTicks = Stopwatch.GetTimestamp();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency };
        await Parallel.ForEachAsync(connections, parallel, async (connection, _) => await ConnectAsync(connection));
        EndTicks = Stopwatch.GetTimestamp();
    }

    private async Task ConnectAsync(LoadConnection connection)
    {
        var sources = options.Sources;
        var source = sources.Count == 0 ? null : sources[connection.Index % sources.Count];
        if (options.Transport != SubscriberTransport.WebSocket && connection.PublisherId < 0 && connection.Tracker is { } tracker)
        {
            await ConnectStreamAsync(connection, tracker, source);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var result = await RawWebSocket.ConnectAsync(_endpoint, source, HandshakeTimeout);
        var elapsed = (long)RunPlan.ToMicroseconds(Stopwatch.GetTimestamp() - started);
        lock (_lock)
        {
            switch (result.Status)
            {
                case HandshakeStatus.Connected:
                    Connected++;
                    LatencyMicros.RecordValue(Math.Min(elapsed, LatencyHistograms.HighestMicroseconds));
                    break;
                case HandshakeStatus.Refused: Refused++; break;
                case HandshakeStatus.Rejected: Rejected++; break;
                default: Failed++; break;
            }

            FirstError ??= result.Error;
        }

        if (result.Socket is { } socket)
        {
            // (WebSocket subscribers and every publisher.)
            connection.Socket = socket;
            connection.Receiving = socket.ReceiveLoopAsync((IFrameSink?)connection.Tracker ?? DiscardSink.Instance);
            dialect.Setup(socket);
        }
    }

    private async Task ConnectStreamAsync(LoadConnection connection, SubscriberTracker tracker, System.Net.IPAddress? source)
    {
        var started = Stopwatch.GetTimestamp();
        var (receiver, status, error) = await StreamReceiver.ConnectAsync(options.Url, options.Transport, options.Channel, source, HandshakeTimeout);
        var elapsed = (long)RunPlan.ToMicroseconds(Stopwatch.GetTimestamp() - started);
        lock (_lock)
        {
            switch (status)
            {
                case HandshakeStatus.Connected:
                    Connected++;
                    LatencyMicros.RecordValue(Math.Min(elapsed, LatencyHistograms.HighestMicroseconds));
                    break;
                case HandshakeStatus.Refused: Refused++; break;
                case HandshakeStatus.Rejected: Rejected++; break;
                default: Failed++; break;
            }

            FirstError ??= error;
        }

        if (receiver is not null)
        {
            connection.Stream = receiver;
            connection.Receiving = receiver.ReceiveLoopAsync(tracker);
        }
    }
}
