namespace Broadcast.Server.Engines.Redis;

/// <summary>Delivery queues (webhook events) as Redis Streams on the first shard, shared by every node.</summary>
public sealed partial class RedisEngine : IDeliveryQueueFactory
{
    public IDeliveryQueue Open(string name, string consumer, DeliveryQueueLimits limits)
    {
        var queue = new RedisDeliveryQueue(Home, _keys.DeliveryQueue(name), consumer, limits, _logger);
        _queues.Add(queue);
        return queue;
    }
}
