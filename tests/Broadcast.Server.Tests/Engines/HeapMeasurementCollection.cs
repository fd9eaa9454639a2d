namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// Tests that read this process's GC heap run alone: another test class allocating in parallel would be counted
/// as their growth (a 64 MiB bound failed at 67 MiB that way while other classes ran).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "Heap measurements (run alone)";
}
