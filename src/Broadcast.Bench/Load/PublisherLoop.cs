using System.Diagnostics;
using Broadcast.Bench.Net;

namespace Broadcast.Bench.Load;

/// <summary>
/// Open-loop publishing for this process's publishers on one dedicated thread. Message j of publisher k
/// is due at start + (j + k/P) / rate: the schedule never waits for the server, and a late send keeps its
/// scheduled time, so latency includes any time the server made the publisher wait. The thread sleeps in
/// 1 ms steps and then sends everything due (spinning would steal the load core from the receivers), which
/// adds up to ~1 ms to measured latencies, equally for every server.
/// </summary>
public sealed class PublisherLoop
{
    private readonly IReadOnlyList<(int Id, RawWebSocket Socket)> _publishers;
    private readonly RunPlan _plan;
    private readonly ProtocolDialect _dialect;
    private readonly int _textBytes;

    public PublisherLoop(IReadOnlyList<(int Id, RawWebSocket Socket)> publishers, RunPlan plan, ProtocolDialect dialect, int textBytes)
    {
        _publishers = [.. publishers.OrderBy(p => p.Id)];
        _plan = plan;
        _dialect = dialect;
        _textBytes = textBytes;
        MeasuredSent = new long[_publishers.Count];
    }

    public IReadOnlyList<int> Ids => [.. _publishers.Select(p => p.Id)];

    public long[] MeasuredSent { get; }

    public long SentTotal => Volatile.Read(ref _sentTotal);

    public bool FellBehind { get; private set; }

    private long _sentTotal;

    public Thread Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "publisher", Priority = ThreadPriority.AboveNormal };
        thread.Start();
        return thread;
    }

    private void Run()
    {
        var count = _publishers.Count;
        if (count == 0 || _plan.RatePerPublisher <= 0)
        {
            return;
        }

        var payloads = _publishers.Select(p => _dialect.CreatePublishPayload(p.Id, _textBytes)).ToArray();
        var phases = _publishers.Select(p => (double)p.Id / _plan.Publishers).ToArray();
        var ticksPerMessage = Stopwatch.Frequency / _plan.RatePerPublisher;
        // Give up when sends fall this far behind: the server is not keeping up and the run must end.
        var giveUp = _plan.ScheduleEndTicks + Math.Max(RunPlan.Seconds(5), _plan.DurationTicks);
        var total = count * _plan.TotalPerPublisher;
        for (long g = 0; g < total; g++)
        {
            var k = (int)(g % count);
            var j = g / count;
            var due = _plan.StartTicks + (long)((j + phases[k]) * ticksPerMessage);
            long now;
            while ((now = Stopwatch.GetTimestamp()) < due)
            {
                Thread.Sleep(1);
            }

            if (now > giveUp)
            {
                FellBehind = true;
                return;
            }

            var socket = _publishers[k].Socket;
            if (socket.IsClosed)
            {
                continue;
            }

            MessageText.Stamp(payloads[k].AsSpan(_dialect.TextOffset, _textBytes), _publishers[k].Id, j, due);
            if (socket.SendFrame(0x1, payloads[k]))
            {
                Interlocked.Increment(ref _sentTotal);
                if (j >= _plan.WarmupCount)
                {
                    MeasuredSent[k]++;
                }
            }
        }
    }
}
