namespace Broadcast.Server.Channels;

/// <summary>A position in a channel's stream: the epoch of its history and an offset within it.</summary>
public readonly record struct StreamPosition(string Epoch, long Offset);
