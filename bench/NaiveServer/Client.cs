using System.Net.WebSockets;

namespace Broadcast.Baselines.Naive;

/// <summary>A connected socket and the lock that keeps its sends one at a time.</summary>
public sealed record Client(WebSocket Socket)
{
    public SemaphoreSlim SendLock { get; } = new(1, 1);
}
