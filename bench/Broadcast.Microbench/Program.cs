using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Broadcast.Microbench -- --filter '*'
// (add --job short for a quick look).
BenchmarkSwitcher.FromAssembly(typeof(Broadcast.Microbench.PublicationBenchmarks).Assembly).Run(args);
