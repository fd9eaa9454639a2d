namespace Broadcast.Server.Transport;

/// <summary>
/// How long a flush round waits after the previous one started. Each write costs the server a system call and the
/// wake-up of the reading peer whatever it carries, so waiting a little longer when the server is busy lets each
/// write carry more frames (fewer sends for the same deliveries). Two stages:
/// <list type="bullet">
/// <item>From <c>Broadcast:FlushInterval</c> up to <c>Broadcast:FlushIntervalMax</c>: while rounds are heavy (spend at
/// least half the base interval writing) the interval doubles; light rounds halve it again.</item>
/// <item>Past that, up to <c>Broadcast:FlushIntervalBusyMax</c>, only where waiting pays more than it costs, judged by
/// what the writes carry. Sparse writes (fewer than <see cref="SparseFramesPerWrite"/> frames each on average: many
/// clients, each getting a frame now and then, so nearly every delivery pays a whole write) of heavy rounds double
/// it. So does a writer that cannot keep up (rounds back to back, <see cref="SaturatedShare"/> of the time or more,
/// though its writes already carry <see cref="DenseFramesPerWrite"/> frames or more), up to
/// <see cref="SaturatedStretch"/> times FlushIntervalMax: its frames wait in queues anyway, and fuller writes free the
/// core. It halves again, down to <c>FlushIntervalMax</c>, once writes carry more
/// than <see cref="FullFramesPerWrite"/> frames and rounds take under <see cref="RelaxedShare"/> of the time, and
/// towards the base once most rounds are light. A workload whose clients get frames often without saturating the
/// writer (a chat) fills its writes within <c>FlushIntervalMax</c> and stays there.</item>
/// </list>
/// A shard that sat idle for two of its intervals (quiet) is back at the base interval, so a frame after a quiet
/// spell still goes out at once.
/// </summary>
/// <remarks>
/// One per shard, used by one thread at a time: the round that just ended, or the one caller that schedules the
/// next round. "Nothing left waiting when a round ends" cannot serve as the quiet signal: on one core nothing is
/// queued while a round runs, however busy the server is. Past FlushIntervalMax, rounds are weighed together until
/// they made at least <see cref="WindowWrites"/> writes (a round or two of a large fan-out, several of a small one), so
/// one round that caught a few stragglers does not move the interval; the share of the time spent writing is
/// counted from the end of the round before the first one weighed.
/// </remarks>
internal sealed class FlushCadence
{
    /// <summary>Writes carrying fewer frames than this on average are sparse: past FlushIntervalMax the interval doubles.</summary>
    public const int SparseFramesPerWrite = 2;

    /// <summary>Writes carrying more frames than this on average are full: past FlushIntervalMax, unless the writer is busy, the interval halves.</summary>
    public const int FullFramesPerWrite = 4;

    /// <summary>Writes carrying at least this many frames on average are dense: only a saturated writer stretches further for them.</summary>
    public const int DenseFramesPerWrite = 8;

    /// <summary>Rounds taking at least this share of the time (in quarters: three quarters) are back to back: the writer is saturated.</summary>
    public const int SaturatedShare = 3;

    /// <summary>Rounds taking less than this share of the time (in quarters: a half) leave the writer room: full writes may come back.</summary>
    public const int RelaxedShare = 2;

    /// <summary>How far a saturated writer with dense writes stretches: this many times FlushIntervalMax at most (8 ms by default).</summary>
    public const int SaturatedStretch = 4;

    /// <summary>At least this many writes are weighed together before the interval moves past FlushIntervalMax...</summary>
    public const int WindowWrites = 1024;

    /// <summary>...or this many rounds, whichever comes first (a few clients make few writes).</summary>
    public const int WindowRounds = 8;

    private readonly long _baseTicks;
    private readonly long _maxTicks;
    private readonly long _busyMaxTicks;
    private long _intervalTicks;
    private long _lastEnd;

    // The rounds weighed so far past FlushIntervalMax: their writes, frames and time spent writing, since the end of
    // the round before them (zero: not known yet, the window starts at the next round's end).
    private long _windowSince;
    private long _windowWrites;
    private long _windowFrames;
    private long _windowWriting;
    private int _windowRounds;
    private int _windowLightRounds;

    /// <param name="baseTicks">The interval while writing is light (<c>Broadcast:FlushInterval</c>).</param>
    /// <param name="maxTicks">How far heavy rounds stretch it (<c>Broadcast:FlushIntervalMax</c>); never below the base, equal to it turns this stage off.</param>
    /// <param name="busyMaxTicks">How far sparse writes or a saturated writer stretch it (<c>Broadcast:FlushIntervalBusyMax</c>); never below <paramref name="maxTicks"/>, equal to it turns this stage off.</param>
    public FlushCadence(long baseTicks, long maxTicks, long busyMaxTicks)
    {
        _baseTicks = Math.Max(0, baseTicks);
        _maxTicks = Math.Max(_baseTicks, maxTicks);
        _busyMaxTicks = Math.Max(_maxTicks, busyMaxTicks);
        _intervalTicks = _baseTicks;
    }

    /// <summary>The shortest time from the start of one round to the start of the next, in stopwatch ticks.</summary>
    public long IntervalTicks => Volatile.Read(ref _intervalTicks);

    /// <summary>
    /// After a round from <paramref name="start"/> to <paramref name="end"/> (stopwatch timestamps) that made
    /// <paramref name="writes"/> writes carrying <paramref name="frames"/> frames in all: light (under an eighth of the
    /// base interval spent writing) halves the interval down to the base; below FlushIntervalMax, heavy (at least half
    /// the base interval) doubles it up to FlushIntervalMax; from there on, what the writes of this and the previous
    /// rounds carried, and how much of the time they took, decides (see the class). Otherwise it keeps its value.
    /// </summary>
    public void RoundEnded(long start, long end, int writes, int frames)
    {
        Volatile.Write(ref _lastEnd, end);
        var roundTicks = end - start;
        var light = roundTicks < _baseTicks / 8;
        var current = _intervalTicks;
        var next = current;
        if (current >= _maxTicks && _busyMaxTicks > _maxTicks)
        {
            next = Weigh(start, end, writes, frames, light);
        }
        else if (light)
        {
            next = Math.Max(_baseTicks, current / 2);
        }
        else if (current < _maxTicks && roundTicks >= _baseTicks / 2)
        {
            next = Math.Min(_maxTicks, current * 2);
        }

        if (next != current)
        {
            StartWindow(end);
            Volatile.Write(ref _intervalTicks, next);
        }
    }

    /// <summary>
    /// How long the round asked for at <paramref name="now"/> must still wait, the previous one having started at
    /// <paramref name="lastStart"/> (stopwatch timestamps; zero or less: at once). A writer that sat idle, no round
    /// running, for two intervals or more since the last round ended is quiet: the base interval again. (Counted from
    /// the end, not the start: a round that took longer than two intervals is the busiest case, not a quiet one.)
    /// </summary>
    public long WaitTicks(long lastStart, long now)
    {
        var interval = _intervalTicks;
        if (interval > _baseTicks && now - Volatile.Read(ref _lastEnd) >= 2 * interval)
        {
            interval = _baseTicks;
            StartWindow(0);
            Volatile.Write(ref _intervalTicks, interval);
        }

        return lastStart + interval - now;
    }

    /// <summary>Adds a round to the window past FlushIntervalMax; once it holds enough writes, returns the interval they call for.</summary>
    private long Weigh(long start, long end, int writes, int frames, bool light)
    {
        var current = _intervalTicks;
        if (_windowSince == 0)
        {
            // The first round after a change of the base stages: how long the writer sat idle before it is unknown.
            StartWindow(end);
            return current;
        }

        _windowWrites += writes;
        _windowFrames += frames;
        _windowWriting += end - start;
        _windowRounds++;
        if (light)
        {
            _windowLightRounds++;
        }

        if (_windowWrites < WindowWrites && _windowRounds < WindowRounds)
        {
            return current;
        }

        // In quarters of the window's time: 4 is every tick spent writing.
        var elapsed = Math.Max(1, end - _windowSince);
        var writingShare = _windowWriting * 4 / elapsed;
        var next = current;
        if (2 * _windowLightRounds > _windowRounds)
        {
            // Writing became light (fewer clients, or none of them busy): back toward the base, as below FlushIntervalMax.
            next = Math.Max(_baseTicks, current / 2);
        }
        else if (_windowFrames < SparseFramesPerWrite * _windowWrites)
        {
            next = Math.Min(_busyMaxTicks, current * 2);
        }
        else if (writingShare >= SaturatedShare && _windowFrames >= DenseFramesPerWrite * _windowWrites)
        {
            // Its writes already share each send among 8 frames or more, so every doubling buys less while what the
            // frames wait doubles: a few doublings at most.
            next = Math.Max(current, Math.Min(Math.Min(_busyMaxTicks, SaturatedStretch * _maxTicks), current * 2));
        }
        else if (writingShare < RelaxedShare && _windowFrames > FullFramesPerWrite * _windowWrites)
        {
            next = Math.Max(_maxTicks, current / 2);
        }

        StartWindow(end);
        return next;
    }

    private void StartWindow(long since)
    {
        _windowSince = since;
        _windowWrites = 0;
        _windowFrames = 0;
        _windowWriting = 0;
        _windowRounds = 0;
        _windowLightRounds = 0;
    }
}
