namespace Broadcast.Server.Engines;

/// <summary>Where a publication landed; <paramref name="Duplicate"/> when a retry matched an earlier publish.</summary>
public readonly record struct PublishResult(StreamPosition Position, bool Duplicate);
