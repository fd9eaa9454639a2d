namespace Broadcast.Server.Engines;

/// <summary>Opens the engine's <see cref="IDeliveryQueue"/> of a given name: in memory, or shared by every node through Redis.</summary>
public interface IDeliveryQueueFactory
{
    /// <param name="name">The queue's name (letters, digits, '-'), part of its Redis key.</param>
    /// <param name="consumer">This node's name among the queue's consumers.</param>
    IDeliveryQueue Open(string name, string consumer, DeliveryQueueLimits limits);
}
