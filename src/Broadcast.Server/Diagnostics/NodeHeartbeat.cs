using System.Diagnostics;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// Reports this node to the engine every few seconds, so the admin view on any node can list every node
/// of the deployment (with Redis: all nodes sharing it; a node that stops reporting drops out).
/// </summary>
/// <remarks>
/// A report that fails, for whatever reason (Redis stalled or down, or anything else), is retried with
/// backoff by <see cref="BackgroundRetry"/>: the heartbeat never ends before the node does, and never
/// stops the node (an exception escaping a background service stops the host).
/// </remarks>
public sealed class NodeHeartbeat(
    IStreamEngine engine,
    INodeDirectory directory,
    NodeIdentity node,
    ConnectionRegistry registry,
    ChannelHub hub,
    ShutdownDrain drain,
    BackgroundRetry retry,
    IOptions<EngineOptions> options,
    TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public static DateTimeOffset StartedAt { get; } = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>This node as it is now.</summary>
    public async ValueTask<NodeReport> CurrentAsync(CancellationToken cancellationToken) => new(
        node.Id,
        StartedAt,
        options.Value.Engine.ToString(),
        !drain.IsDraining && await engine.IsAvailableAsync(cancellationToken),
        drain.IsDraining,
        registry.Count,
        hub.ActiveChannels().Count,
        clock.GetUtcNow());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            // Each attempt reports the node as it is then; ticks missed meanwhile are not made up.
            await retry.RunAsync("heartbeat", async cancellationToken => await directory.ReportNodeAsync(await CurrentAsync(cancellationToken), cancellationToken), stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
