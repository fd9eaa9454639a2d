namespace Broadcast.Server.Transport;

/// <summary>
/// How long a flush round waits after the previous one started: <c>Broadcast:FlushInterval</c> while writing is
/// light, stretched up to <c>Broadcast:FlushIntervalMax</c> while rounds are heavy. Each write costs the server a
/// system call and the wake-up of the reading peer whatever it carries, so when the rounds keep the core busy,
/// waiting a little longer lets each write carry more frames (fewer sends for the same deliveries). A shard that
/// sat idle for two of its intervals (quiet) is back at the base interval, so a frame after a quiet spell still
/// goes out at once.
/// </summary>
/// <remarks>
/// One per shard, used by one thread at a time: the round that just ended, or the one caller that schedules the
/// next round. "Nothing left waiting when a round ends" cannot serve as the quiet signal: on one core nothing is
/// queued while a round runs, however busy the server is.
/// </remarks>
internal sealed class FlushCadence
{
    private readonly long _baseTicks;
    private readonly long _maxTicks;
    private long _intervalTicks;

    /// <param name="baseTicks">The interval while writing is light (<c>Broadcast:FlushInterval</c>).</param>
    /// <param name="maxTicks">The longest it stretches to (<c>Broadcast:FlushIntervalMax</c>); never below the base, equal to it turns stretching off.</param>
    public FlushCadence(long baseTicks, long maxTicks)
    {
        _baseTicks = Math.Max(0, baseTicks);
        _maxTicks = Math.Max(_baseTicks, maxTicks);
        _intervalTicks = _baseTicks;
    }

    /// <summary>The shortest time from the start of one round to the start of the next, in stopwatch ticks.</summary>
    public long IntervalTicks => Volatile.Read(ref _intervalTicks);

    /// <summary>
    /// After a round that took <paramref name="roundTicks"/>: heavy (at least half the base interval spent writing)
    /// doubles the interval up to the bound, light (under an eighth of it) halves it down to the base, in between
    /// keeps it.
    /// </summary>
    public void RoundEnded(long roundTicks)
    {
        var current = _intervalTicks;
        var next = current;
        if (roundTicks >= _baseTicks / 2)
        {
            next = Math.Min(_maxTicks, current * 2);
        }
        else if (roundTicks < _baseTicks / 8)
        {
            next = Math.Max(_baseTicks, current / 2);
        }

        Volatile.Write(ref _intervalTicks, next);
    }

    /// <summary>
    /// How long the next round must still wait, <paramref name="sinceLastStart"/> after the previous one started (zero
    /// or less: at once). Idle for two intervals or more is quiet: the base interval again.
    /// </summary>
    public long WaitTicks(long sinceLastStart)
    {
        var interval = _intervalTicks;
        if (interval > _baseTicks && sinceLastStart >= 2 * interval)
        {
            interval = _baseTicks;
            Volatile.Write(ref _intervalTicks, interval);
        }

        return interval - sinceLastStart;
    }
}
