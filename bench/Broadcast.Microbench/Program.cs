using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Broadcast.Microbench -- --filter '*'
// (add --job short for a quick look). `-- alloc-trace` runs the fan-out path outside BenchmarkDotNet
// and names the types that allocate (sampled every 100 KB by the runtime).
if (args.Length > 0 && args[0] == "alloc-trace")
{
    Broadcast.Microbench.AllocTrace.Run();
    return;
}

// `-- payload-trace`: a 1 KB string, a 1 KB object as JSON data and as MessagePack, to 1,000 subscribers each:
// CPU and allocations per delivery, frames built by the first recipient (the encode-once rule).
if (args.Length > 0 && args[0] == "payload-trace")
{
    Broadcast.Microbench.PayloadTrace.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Broadcast.Microbench.PublicationBenchmarks).Assembly).Run(args);
