namespace Broadcast.Server.Engines.Memory;

/// <summary>Opens delivery queues in this process (the memory engine: one node).</summary>
internal sealed class MemoryDeliveryQueueFactory : IDeliveryQueueFactory
{
    public IDeliveryQueue Open(string name, string consumer, DeliveryQueueLimits limits) => new MemoryDeliveryQueue(limits.Capacity);
}
