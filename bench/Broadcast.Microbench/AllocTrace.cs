using System.Diagnostics.Tracing;

namespace Broadcast.Microbench;

internal sealed class AllocListener : EventListener
{
    public readonly Dictionary<string, long> Types = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true)
        {
            var name = e.Payload?[e.PayloadNames!.IndexOf("TypeName")]?.ToString() ?? "?";
            lock (Types)
            {
                Types[name] = Types.GetValueOrDefault(name) + 1;
            }
        }
    }
}

/// <summary>
/// Steady state, outside BenchmarkDotNet: 1,000 subscribers, publications paced at 1,000/s (1M deliveries/s,
/// which the flusher keeps up with), allocations counted for the whole process per iteration of 512.
/// </summary>
internal static class AllocTrace
{
    public static void Run()
    {
        var bench = new FanOutBenchmarks { Subscribers = 1000, MessageBytes = 100, PublicationsPerIteration = 512 };
        bench.Setup();
        using var listener = new AllocListener();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long sent = 0;
        for (var iteration = 0; iteration < 20; iteration++)
        {
            bench.PreparePublications();
            var before = GC.GetTotalAllocatedBytes(true);
            for (var i = 0; i < 512; i++)
            {
                while (clock.Elapsed.TotalMilliseconds < sent)
                {
                    Thread.SpinWait(20);
                }

                bench.DeliverToAll();
                sent++;
            }

            var bytes = GC.GetTotalAllocatedBytes(true) - before;
            Console.WriteLine($"iteration {iteration}: {bytes} B in 512 publications x {bench.Subscribers} subscribers = {bytes / (512.0 * bench.Subscribers):F4} B per delivery");
        }

        foreach (var (type, count) in listener.Types.OrderByDescending(t => t.Value))
        {
            Console.WriteLine($"{count,6} x 100 KB  {type}");
        }

        bench.Cleanup();
    }
}
