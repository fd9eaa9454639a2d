using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Tests.Engines;

/// <summary>The engine contract on the in-memory engine: one node; losing its data is a restart of the process.</summary>
public sealed class MemoryEngineContractTests : EngineContractTests
{
    protected override Task<EngineNode> CreateNodeAsync(StreamOptions options)
    {
        var listener = new RecordingListener();
        return Task.FromResult(new EngineNode(new MemoryEngine(listener, TimeProvider.System, Options.Create(options), Options.Create(new MemoryEngineOptions())), listener));
    }

    protected override async Task<EngineNode> LoseDataAsync(EngineNode node)
    {
        // The process restarts: everything it held is gone, and the next engine starts from nothing.
        await node.DisposeAsync();
        return await CreateNodeAsync(DefaultOptions());
    }

    protected override Task<bool> MakeUnavailableAsync() => Task.FromResult(false);
}
