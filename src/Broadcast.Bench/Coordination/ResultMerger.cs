using System.Diagnostics;
using Broadcast.Bench.Cli;
using Broadcast.Bench.Load;
using Broadcast.Bench.Results;
using HdrHistogram;

namespace Broadcast.Bench.Coordination;

/// <summary>Turns the workers' results into one: counts per subscriber against what was actually sent.</summary>
public static class ResultMerger
{
    public static RunResult Merge(BenchOptions options, RunPlan plan, IReadOnlyList<WorkerResult> workers)
    {
        var measuredSent = new Dictionary<int, long>();
        foreach (var worker in workers)
        {
            for (var i = 0; i < worker.PublisherIds.Length; i++)
            {
                measuredSent[worker.PublisherIds[i]] = worker.PublisherMeasuredSent[i];
            }
        }

        var sent = measuredSent.Values.Sum();
        long expected = 0, delivered = 0, maxLost = 0;
        var withLoss = 0;
        foreach (var worker in workers)
        {
            for (var i = 0; i < worker.SubscriberUnique.Length; i++)
            {
                // A chat client does not receive its own messages.
                var own = worker.SubscriberOwnPublisher[i];
                var expectedHere = sent - (own >= 0 ? measuredSent.GetValueOrDefault(own) : 0);
                var lost = Math.Max(0, expectedHere - worker.SubscriberUnique[i]);
                expected += expectedHere;
                delivered += worker.SubscriberUnique[i];
                maxLost = Math.Max(maxLost, lost);
                withLoss += lost > 0 ? 1 : 0;
            }
        }

        var latency = LatencyHistograms.Create();
        var handshakes = LatencyHistograms.Create();
        foreach (var worker in workers)
        {
            HistogramData.AddPairs(latency, worker.LatencyMicros);
            HistogramData.AddPairs(handshakes, worker.ConnectLatencyMicros);
        }

        var lastDelivery = workers.Max(w => w.LastMeasuredTicks);
        var window = (lastDelivery - plan.MeasureStartTicks) / (double)Stopwatch.Frequency;
        var receivers = options.Scenario == Scenario.Chat ? options.Subscribers - 1 : options.Subscribers;
        var offeredMessages = plan.RatePerPublisher * plan.Publishers;
        return new RunResult
        {
            Label = options.Label,
            Scenario = options.Scenario.ToString().ToLowerInvariant(),
            Protocol = options.Protocol.ToString().ToLowerInvariant(),
            Url = options.Url.ToString(),
            Processes = options.Processes,
            Subscribers = options.Subscribers,
            Publishers = plan.Publishers,
            MessageBytes = options.MessageBytes,
            OfferedMessagesPerSecond = offeredMessages,
            OfferedDeliveriesPerSecond = offeredMessages * receivers,
            WarmupSeconds = options.WarmupSeconds,
            DurationSeconds = options.DurationSeconds,
            Connections = Connections(workers, handshakes),
            Sent = sent,
            Expected = expected,
            Delivered = delivered,
            Lost = expected - delivered > 0 ? expected - delivered : 0,
            Duplicated = workers.Sum(w => w.Duplicates),
            Reordered = workers.Sum(w => w.Reordered),
            SubscribersWithLoss = withLoss,
            MaxLostBySubscriber = maxLost,
            ErrorFrames = workers.Sum(w => w.ErrorFrames),
            Foreign = workers.Sum(w => w.Foreign),
            OwnEchoes = workers.Sum(w => w.OwnEchoes),
            PublisherFellBehind = workers.Any(w => w.PublisherFellBehind),
            DeliveredPerSecond = window > 0 ? Math.Round(delivered / window) : 0,
            Latency = LatencySummary.From(latency),
        };
    }

    private static ConnectionFigures Connections(IReadOnlyList<WorkerResult> workers, HistogramBase handshakes)
    {
        var connected = workers.Sum(w => w.Connected);
        var seconds = (workers.Max(w => w.ConnectEndTicks) - workers.Min(w => w.ConnectStartTicks)) / (double)Stopwatch.Frequency;
        return new ConnectionFigures
        {
            Attempted = workers.Sum(w => w.Attempted),
            Connected = connected,
            Refused = workers.Sum(w => w.Refused),
            Rejected = workers.Sum(w => w.Rejected),
            Failed = workers.Sum(w => w.Failed),
            FirstError = workers.Select(w => w.FirstError).FirstOrDefault(e => e is not null),
            ConnectsPerSecond = seconds > 0 ? Math.Round(connected / seconds) : 0,
            HandshakeLatency = LatencySummary.From(handshakes),
            ClosedDuringRun = workers.Sum(w => w.ClosedDuringRun),
        };
    }
}
