using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// The webhook events waiting to be sent: the engine's delivery queue named <c>webhooks</c> (in this process on
/// the memory engine, a Redis Stream shared by every node on Redis), opened only when webhooks are on. Counts
/// what this node holds (buffered and in flight) for the pending gauge.
/// </summary>
public sealed class WebhookQueue
{
    private readonly Lazy<IDeliveryQueue> _queue;
    private long _inFlight;

    public WebhookQueue(IDeliveryQueueFactory queues, NodeIdentity node, IOptions<WebhookOptions> options)
    {
        var settings = options.Value;
        _queue = new Lazy<IDeliveryQueue>(() => queues.Open("webhooks", node.Id, new DeliveryQueueLimits(settings.QueueCapacity, settings.StreamMaxLength, settings.ClaimIdle)));
    }

    internal IDeliveryQueue Queue => _queue.Value;

    /// <summary>Events this node holds: waiting in this process, or taken and not yet delivered or given up.</summary>
    public long Pending => (_queue.IsValueCreated ? _queue.Value.Buffered : 0) + Volatile.Read(ref _inFlight);

    internal void InFlight(int change) => Interlocked.Add(ref _inFlight, change);
}
