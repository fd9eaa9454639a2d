namespace Broadcast.Server.Transport;

/// <summary>
/// How long a flush round waits after the previous one started. Each write costs the server a system call and the
/// wake-up of the reading peer whatever it carries, so waiting a little longer when the server is busy lets each
/// write carry more frames (fewer sends for the same deliveries). Two stages:
/// <list type="bullet">
/// <item>From <c>Broadcast:FlushInterval</c> up to <c>Broadcast:FlushIntervalMax</c>: while rounds are heavy (spend at
/// least half the base interval writing) the interval doubles; light rounds halve it again.</item>
/// <item>Past that, up to <c>Broadcast:FlushIntervalSparseMax</c>, only while the writes are sparse: heavy rounds whose
/// writes carry fewer than <see cref="SparseFramesPerWrite"/> frames each on average (many clients, each getting a
/// frame now and then, so nearly every delivery pays a whole write) double it; writes carrying more than
/// <see cref="FullFramesPerWrite"/> halve it, back down to <c>FlushIntervalMax</c>; mostly light rounds take it on
/// down towards the base. A workload whose clients get frames often (a chat) fills its writes within
/// <c>FlushIntervalMax</c> and stays there.</item>
/// <item>A writer that cannot keep up (its rounds take <see cref="SaturatedEighths"/> eighths of the time or more,
/// back to back) although its writes already carry <see cref="DenseFramesPerWrite"/> frames or more also doubles it,
/// up to <see cref="SaturatedStretch"/> times <c>FlushIntervalMax</c> (and never past <c>FlushIntervalSparseMax</c>):
/// its frames wait in the queues for a whole round anyway, and each doubling halves its sends, whose kernel cost is
/// most of its work, so the core gets room back. It halves again (down to <c>FlushIntervalMax</c>) once the writer is
/// mostly idle (rounds under <see cref="IdleEighths"/> eighth of the time) or its writes carry fewer than one and a
/// half times <see cref="DenseFramesPerWrite"/> frames (half the interval would leave them short of dense; 500
/// clients at 2,000 frames a second carry 16-25 at 8 ms, a chat about 8), not merely because they are full: the fuller writes are what freed the core, and coming back for that would only saturate it again. So a chat
/// that a busy core pushed there for a while does not stay: its writes carry a few frames each.</item>
/// </list>
/// A shard that sat idle for two of its intervals (quiet) is back at the base interval, so a frame after a quiet
/// spell still goes out at once.
/// </summary>
/// <remarks>
/// One per shard, used by one thread at a time: the round that just ended, or the one caller that schedules the
/// next round. "Nothing left waiting when a round ends" cannot serve as the quiet signal: on one core nothing is
/// queued while a round runs, however busy the server is. Past FlushIntervalMax, rounds are weighed together until
/// they made at least <see cref="WindowWrites"/> writes (a round or two of a large fan-out, several of a small one)
/// or <see cref="WindowRounds"/> rounds, so one round that caught a few stragglers does not move the interval: a
/// decision per round made an earlier try ratchet up to the bound.
/// </remarks>
internal sealed class FlushCadence
{
    /// <summary>Writes carrying fewer frames than this on average are sparse: past FlushIntervalMax the interval doubles.</summary>
    public const int SparseFramesPerWrite = 2;

    /// <summary>Writes carrying more frames than this on average are full: past FlushIntervalMax the interval halves.</summary>
    public const int FullFramesPerWrite = 4;

    /// <summary>Writes carrying at least this many frames on average are dense: only a saturated writer stretches further for them.</summary>
    public const int DenseFramesPerWrite = 8;

    /// <summary>Rounds taking at least this many eighths of the time are back to back: the writer is saturated.</summary>
    public const int SaturatedEighths = 6;

    /// <summary>Rounds taking less than this many eighths of the time leave the writer mostly idle: a saturated writer's stretch comes back.</summary>
    public const int IdleEighths = 1;

    /// <summary>How far a saturated writer with dense writes stretches: this many times FlushIntervalMax at most (8 ms by default).</summary>
    public const int SaturatedStretch = 4;

    /// <summary>At least this many writes are weighed together before the interval moves past FlushIntervalMax...</summary>
    public const int WindowWrites = 1024;

    /// <summary>...or this many rounds, whichever comes first (a few clients make few writes).</summary>
    public const int WindowRounds = 8;

    private readonly long _baseTicks;
    private readonly long _maxTicks;
    private readonly long _sparseMaxTicks;
    private long _intervalTicks;
    private long _lastEnd;

    // The interval was stretched past FlushIntervalMax for a saturated writer (not for sparse writes).
    private bool _saturated;

    // The rounds weighed so far past FlushIntervalMax: their writes, frames and time spent writing, since the end of
    // the round before them (zero: not known yet, the window starts at the next round's end).
    private long _windowSince;
    private long _windowWriting;
    private long _windowWrites;
    private long _windowFrames;
    private int _windowRounds;
    private int _windowLightRounds;

    /// <param name="baseTicks">The interval while writing is light (<c>Broadcast:FlushInterval</c>).</param>
    /// <param name="maxTicks">How far heavy rounds stretch it (<c>Broadcast:FlushIntervalMax</c>); never below the base, equal to it turns this stage off.</param>
    /// <param name="sparseMaxTicks">How far heavy rounds of sparse writes stretch it (<c>Broadcast:FlushIntervalSparseMax</c>); never below <paramref name="maxTicks"/>, equal to it turns this stage off.</param>
    public FlushCadence(long baseTicks, long maxTicks, long sparseMaxTicks)
    {
        _baseTicks = Math.Max(0, baseTicks);
        _maxTicks = Math.Max(_baseTicks, maxTicks);
        _sparseMaxTicks = Math.Max(_maxTicks, sparseMaxTicks);
        _intervalTicks = _baseTicks;
    }

    /// <summary>The shortest time from the start of one round to the start of the next, in stopwatch ticks.</summary>
    public long IntervalTicks => Volatile.Read(ref _intervalTicks);

    /// <summary>
    /// After a round from <paramref name="start"/> to <paramref name="end"/> (stopwatch timestamps) that made
    /// <paramref name="writes"/> writes carrying <paramref name="frames"/> frames in all: light (under an eighth of the
    /// base interval spent writing) halves the interval down to the base; below FlushIntervalMax, heavy (at least half
    /// the base interval) doubles it up to FlushIntervalMax; from there on, what the writes of this and the previous
    /// rounds carried decides (see the class). Otherwise it keeps its value.
    /// </summary>
    public void RoundEnded(long start, long end, int writes, int frames)
    {
        Volatile.Write(ref _lastEnd, end);
        var roundTicks = end - start;
        var light = roundTicks < _baseTicks / 8;
        var current = _intervalTicks;
        var next = current;
        if (current >= _maxTicks && _sparseMaxTicks > _maxTicks)
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
            _saturated = false;
            StartWindow(0);
            Volatile.Write(ref _intervalTicks, interval);
        }

        return lastStart + interval - now;
    }

    /// <summary>Adds a round to the window past FlushIntervalMax; once it holds enough, returns the interval it calls for.</summary>
    private long Weigh(long start, long end, int writes, int frames, bool light)
    {
        var current = _intervalTicks;
        if (_windowSince == 0)
        {
            // The first round weighed: how long the writer sat idle before it is not known, so the window starts here.
            StartWindow(end);
            return current;
        }

        _windowWriting += end - start;
        _windowWrites += writes;
        _windowFrames += frames;
        _windowRounds++;
        if (light)
        {
            _windowLightRounds++;
        }

        if (_windowWrites < WindowWrites && _windowRounds < WindowRounds)
        {
            return current;
        }

        // In eighths of the window's time: 8 is every tick spent writing.
        var writingEighths = _windowWriting * 8 / Math.Max(1, end - _windowSince);
        var next = current;
        if (2 * _windowLightRounds > _windowRounds)
        {
            // Writing became light (fewer clients, or none of them busy): back toward the base, as below FlushIntervalMax.
            next = Math.Max(_baseTicks, current / 2);
            _saturated = false;
        }
        else if (_windowFrames < SparseFramesPerWrite * _windowWrites)
        {
            next = Math.Min(_sparseMaxTicks, current * 2);
            _saturated = false;
        }
        else if (writingEighths >= SaturatedEighths && _windowFrames >= DenseFramesPerWrite * _windowWrites)
        {
            // Every doubling buys less (the sends already carry 8 frames or more) while what the frames wait doubles:
            // a few doublings at most. Never lower than it is: a sparse stretch may already be past this bound.
            next = Math.Max(current, Math.Min(_sparseMaxTicks, Math.Min(SaturatedStretch * _maxTicks, current * 2)));
            _saturated = true;
        }
        else if (_saturated
                     ? writingEighths < IdleEighths || 2 * _windowFrames < 3 * DenseFramesPerWrite * _windowWrites
                     : _windowFrames > FullFramesPerWrite * _windowWrites)
        {
            next = Math.Max(_maxTicks, current / 2);
            _saturated = next > _maxTicks && _saturated;
        }

        StartWindow(end);
        return next;
    }

    private void StartWindow(long since)
    {
        _windowSince = since;
        _windowWriting = 0;
        _windowWrites = 0;
        _windowFrames = 0;
        _windowRounds = 0;
        _windowLightRounds = 0;
    }
}
