using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Broadcast.Bench.Cli;
using Broadcast.Bench.Results;

namespace Broadcast.Bench.Load;

/// <summary>
/// One load process. It talks to the coordinator over stdin/stdout in lines: it prints READY once its
/// connections are open, waits for "GO &lt;start timestamp&gt;", publishes and receives, prints PROGRESS
/// lines while it runs and one RESULT line with its measurements as JSON at the end.
/// </summary>
public sealed class Worker(BenchOptions options)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    // A run is over when nothing has arrived for this long after the last scheduled send.
    private static readonly long QuietTicks = RunPlan.Seconds(1);

    public async Task<int> RunAsync()
    {
        var plan = new RunPlan(options);
        var dialect = new ProtocolDialect(options.Protocol, options.Channel);
        var connections = ConnectionPlan.ForWorker(options, plan, options.WorkerIndex);
        var connector = new Connector(options, dialect);
        using var stopProgress = new CancellationTokenSource();
        var progress = ReportProgressAsync(connections, null, connector, stopProgress.Token);
        await connector.ConnectAllAsync(connections);
        Console.Out.WriteLine("READY");

        var go = await Console.In.ReadLineAsync() ?? throw new InvalidOperationException("The coordinator went away.");
        plan.StartTicks = long.Parse(go.AsSpan(3), CultureInfo.InvariantCulture);
        var publishers = connections.Where(c => c.PublisherId >= 0 && c.Socket is not null).Select(c => (c.PublisherId, c.Socket!)).ToList();
        var loop = new PublisherLoop(publishers, plan, dialect, options.MessageBytes);
        await stopProgress.CancelAsync();
        await progress;

        var cpuAtGo = Process.GetCurrentProcess().TotalProcessorTime;
        var ticksAtGo = Stopwatch.GetTimestamp();
        using var stopRun = new CancellationTokenSource();
        var runProgress = ReportProgressAsync(connections, loop, connector, stopRun.Token);
        var keepAlive = KeepAliveAsync(connections, dialect, stopRun.Token);
        var thread = loop.Start();
        await WaitForEndAsync(connections, plan, thread);
        await stopRun.CancelAsync();
        await Task.WhenAll(runProgress, keepAlive);

        var result = Collect(connections, connector, loop);
        result.RunCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtGo).TotalSeconds;
        result.RunSeconds = (Stopwatch.GetTimestamp() - ticksAtGo) / (double)Stopwatch.Frequency;
        Console.Out.WriteLine("RESULT " + JsonSerializer.Serialize(result, JsonOptions.Default));
        foreach (var connection in connections)
        {
            connection.Socket?.Close();
            connection.Stream?.Close();
        }

        return 0;
    }

    private static async Task WaitForEndAsync(List<LoadConnection> connections, RunPlan plan, Thread publisher)
    {
        var trackers = connections.Select(c => c.Tracker).OfType<SubscriberTracker>().ToArray();
        while (true)
        {
            await Task.Delay(50);
            var now = Stopwatch.GetTimestamp();
            if (publisher.IsAlive || now < plan.ScheduleEndTicks)
            {
                continue;
            }

            var last = Math.Max(plan.ScheduleEndTicks, trackers.Length == 0 ? 0 : trackers.Max(t => t.LastReceivedTicks));
            if (now - last > QuietTicks || now > plan.ScheduleEndTicks + plan.DrainTicks || trackers.Length == 0)
            {
                return;
            }
        }
    }

    private static async Task ReportProgressAsync(List<LoadConnection> connections, PublisherLoop? loop, Connector connector, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProgressInterval, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            long received = 0;
            var open = 0;
            foreach (var connection in connections)
            {
                received += connection.Tracker?.Received ?? 0;
                open += connection.IsOpen ? 1 : 0;
            }

            Console.Out.WriteLine(FormattableString.Invariant($"PROGRESS {open} {connector.Connected} {loop?.SentTotal ?? 0} {received}"));
        }
    }

    /// <summary>Some servers (SignalR) drop clients they have not heard from; send their keep-alive.</summary>
    private static async Task KeepAliveAsync(List<LoadConnection> connections, ProtocolDialect dialect, CancellationToken token)
    {
        if (dialect.KeepAliveFrame is not { } frame)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                foreach (var connection in connections)
                {
                    connection.Socket?.SendFrame(0x1, frame);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private WorkerResult Collect(List<LoadConnection> connections, Connector connector, PublisherLoop loop)
    {
        var trackers = connections.Select(c => c.Tracker).OfType<SubscriberTracker>().ToArray();
        var subscribed = connections.Where(c => c.Tracker is not null && c.IsConnected).Select(c => c.Tracker!).ToArray();
        return new WorkerResult
        {
            Worker = options.WorkerIndex,
            Attempted = connections.Count,
            Connected = connector.Connected,
            Refused = connector.Refused,
            Rejected = connector.Rejected,
            Failed = connector.Failed,
            FirstError = connector.FirstError,
            ConnectStartTicks = connector.StartTicks,
            ConnectEndTicks = connector.EndTicks,
            ConnectLatencyMicros = HistogramData.ToPairs(connector.LatencyMicros),
            LatencyMicros = HistogramData.ToPairs(LatencyHistograms.Merge()),
            PublisherIds = [.. loop.Ids],
            PublisherMeasuredSent = loop.MeasuredSent,
            SentTotal = loop.SentTotal,
            PublisherFellBehind = loop.FellBehind,
            SubscriberOwnPublisher = [.. subscribed.Select(t => t.OwnPublisher)],
            SubscriberUnique = [.. subscribed.Select(t => t.Unique)],
            Duplicates = trackers.Sum(t => t.Duplicates),
            Reordered = trackers.Sum(t => t.Reordered),
            Foreign = trackers.Sum(t => t.Foreign),
            OwnEchoes = trackers.Sum(t => t.OwnEchoes),
            ErrorFrames = trackers.Sum(t => t.ErrorFrames),
            ClosedDuringRun = connections.Count(c => c.IsClosed),
            LastMeasuredTicks = trackers.Length == 0 ? 0 : trackers.Max(t => t.LastMeasuredTicks),
        };
    }
}
