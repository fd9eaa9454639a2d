using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Broadcast.Microbench -- --filter '*'
// (add --job short for a quick look). `-- alloc-trace` runs the fan-out path outside BenchmarkDotNet
// and names the types that allocate (sampled every 100 KB by the runtime).
if (args.Length > 0 && args[0] == "alloc-trace")
{
    Broadcast.Microbench.AllocTrace.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Broadcast.Microbench.PublicationBenchmarks).Assembly).Run(args);
