namespace Broadcast.Server.Transport;

/// <summary>What one inbound message may be: the transport refuses more before it buffers it.</summary>
/// <param name="MaxBytes">Largest message accepted, in bytes (inclusive): more is closed with 1009.</param>
/// <param name="MaxFragments">Frames one message may arrive in: more is closed with 1008.</param>
public readonly record struct MessageLimits(int MaxBytes, int MaxFragments);
