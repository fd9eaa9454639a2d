namespace Broadcast.Server.Transport;

/// <summary>A connection's writer as the <see cref="FlushScheduler"/> sees it: scheduled at most once at a time, flushed once per round.</summary>
public interface IFlushTarget
{
    /// <summary>Spreads connections over the scheduler's shards.</summary>
    long FlushId { get; }

    /// <summary>
    /// Writes what is queued as one batch; replaces <paramref name="buffer"/> when a write has to finish in the
    /// background. Returns how many frames the write carried (its publications, at least one when anything was
    /// written; zero when nothing was): the scheduler stretches its rounds by what writes carry.
    /// </summary>
    int Flush(ref byte[] buffer);
}
