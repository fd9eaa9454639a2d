namespace Broadcast.Server.Security;

/// <summary>How much may be published within one budget: messages and message bytes, each as an average rate and a burst; a rate of 0 lifts that half.</summary>
internal readonly record struct PublishLimit(double MessagesPerSecond, double MessageBurst, double BytesPerSecond, double ByteBurst)
{
    public bool IsUnlimited => MessagesPerSecond <= 0 && BytesPerSecond <= 0;
}
