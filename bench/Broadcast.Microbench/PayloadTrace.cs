namespace Broadcast.Microbench;

/// <summary>
/// The payloads' fan-out in one run: 1,000 subscribers each of a 1 KB string as today's <c>message</c> (broadcast.v2),
/// the same size of JSON object as <c>data</c> (broadcast.v2), and as <c>data</c> to MessagePack subscribers
/// (broadcast.v2.msgpack). Frames are built by the first recipient, as in the server, so each case's figures
/// include its one encoding per publication: the process's CPU time and allocations per delivery show the
/// encode-once rule (an encoding per recipient would allocate a frame, about 1 KB, per delivery).
/// </summary>
internal static class PayloadTrace
{
    public static void Run()
    {
        (string Name, string Subprotocol, Broadcast.Server.Engines.PayloadKind Payload)[] cases =
        [
            ("1 KB string (message, v2 JSON)", "broadcast.v2", Broadcast.Server.Engines.PayloadKind.Message),
            ("1 KB object (data, v2 JSON)", "broadcast.v2", Broadcast.Server.Engines.PayloadKind.Data),
            ("1 KB object (data, v2 MessagePack)", "broadcast.v2.msgpack", Broadcast.Server.Engines.PayloadKind.Data),
        ];
        Console.WriteLine("| payload | frame | CPU per delivery | allocated per delivery | allocated per publication |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, subprotocol, payload) in cases)
        {
            var bench = new FanOutBenchmarks { Subscribers = 1000, MessageBytes = 1024, PublicationsPerIteration = 512, Subprotocol = subprotocol, Payload = payload, PreEncode = false };
            bench.Setup();
            Measure(bench, iterations: 2); // warm-up
            var (cpu, bytes, deliveries) = Measure(bench, iterations: 8);
            Console.WriteLine($"| {name} | {bench.FrameBytes} B | {cpu.TotalMicroseconds / deliveries:F3} µs | {bytes / (double)deliveries:F2} B | {bytes / (deliveries / 1000.0):F0} B |");
            bench.Cleanup();
        }
    }

    /// <summary>Publications paced at 1,000/s (1M deliveries/s); the whole process's CPU and allocations.</summary>
    private static (TimeSpan Cpu, long Bytes, long Deliveries) Measure(FanOutBenchmarks bench, int iterations)
    {
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = TimeSpan.Zero;
        long bytes = 0, deliveries = 0;
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            bench.PreparePublications();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var before = GC.GetTotalAllocatedBytes(true);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < bench.PublicationsPerIteration; i++)
            {
                // Sleep, not spin, while ahead of the pace: the process's CPU time is the figure.
                var ahead = i - clock.Elapsed.TotalMilliseconds;
                if (ahead > 0)
                {
                    Thread.Sleep(TimeSpan.FromMilliseconds(ahead));
                }

                bench.DeliverToAll();
            }

            // Let the last flush rounds write what was queued.
            Thread.Sleep(50);
            bytes += GC.GetTotalAllocatedBytes(true) - before;
            process.Refresh();
            cpu += process.TotalProcessorTime - cpuBefore;
            deliveries += (long)bench.PublicationsPerIteration * bench.Subscribers;
        }

        return (cpu, bytes, deliveries);
    }
}
