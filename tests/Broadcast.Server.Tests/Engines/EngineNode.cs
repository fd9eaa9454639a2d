using Broadcast.Server.Engines;

namespace Broadcast.Server.Tests.Engines;

/// <summary>One node of an engine under test: the engine's three contracts, and the listener it delivers to.</summary>
public sealed class EngineNode : IAsyncDisposable
{
    private readonly object _engine;

    internal EngineNode(object engine, RecordingListener listener)
    {
        _engine = engine;
        Listener = listener;
    }

    internal RecordingListener Listener { get; }

    public IStreamEngine Stream => (IStreamEngine)_engine;

    public IPresenceEngine Presence => (IPresenceEngine)_engine;

    public INodeDirectory Directory => (INodeDirectory)_engine;

    /// <summary>As the channel layer does for a first local subscriber: listed locally, then the node subscribes.</summary>
    public async Task SubscribeAsync(string channel)
    {
        Listener.Subscribe(channel);
        await Stream.SubscribeNodeAsync(channel, CancellationToken.None);
    }

    /// <summary>As the channel layer does when the last local subscriber left.</summary>
    public async Task UnsubscribeAsync(string channel)
    {
        Listener.Unsubscribe(channel);
        await Stream.UnsubscribeNodeAsync(channel, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        switch (_engine)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
