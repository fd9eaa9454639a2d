namespace Broadcast.Server.Engines;

/// <summary>How an <see cref="IDeliveryQueue"/> is bounded and when an entry a consumer took is given to another.</summary>
/// <param name="Capacity">Entries held in this process (the whole queue in memory; the hand-over buffer toward Redis).</param>
/// <param name="MaxLength">Entries kept in a shared store (Redis: the stream's approximate MAXLEN).</param>
/// <param name="ClaimIdle">An entry taken and not touched for this long is taken by another consumer (its node died).</param>
public sealed record DeliveryQueueLimits(int Capacity, long MaxLength, TimeSpan ClaimIdle);
