using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport;

/// <summary>
/// Writes connections' queued frames in rounds. Queuing a frame marks its connection dirty (once, however
/// many frames follow); a round then writes every dirty connection's frames with one write each. Rounds
/// start at most once per interval (<c>Broadcast:FlushInterval</c>, stretched up to <c>Broadcast:FlushIntervalMax</c> while
/// rounds are heavy, up to <c>Broadcast:FlushIntervalSparseMax</c> while their writes carry about one frame each, and up
/// to four times <c>Broadcast:FlushIntervalMax</c> while the writer cannot keep up although its writes are full:
/// <see cref="FlushCadence"/>): a frame arriving after a quiet spell is written at once,
/// while under load each write carries every frame that arrived since the last round, so the cost of a
/// send is shared by many deliveries. The work is split over one shard per core, each running at most one
/// round at a time on the thread pool; a round never waits for a socket (a write that cannot complete at
/// once finishes on its own and the connection rejoins a later round).
/// </summary>
/// <remarks>One per process, a singleton of the container: these are the writer threads.</remarks>
internal sealed class FlushScheduler
{
    /// <summary>Data frames up to this size are batched in one buffer; larger ones get a buffer of their own.</summary>
    public const int BatchBytes = 32 * 1024;

    private readonly Shard[] _shards;

    public FlushScheduler(IOptions<TransportOptions> options)
        : this(options.Value.FlushInterval, Environment.ProcessorCount, options.Value.FlushIntervalMax, options.Value.FlushIntervalSparseMax)
    {
    }

    /// <param name="maxInterval">How far heavy rounds may stretch the interval; null (or not above <paramref name="interval"/>): never.</param>
    /// <param name="sparseMaxInterval">How far heavy rounds of sparse writes may stretch it; null (or not above <paramref name="maxInterval"/>): no further.</param>
    public FlushScheduler(TimeSpan interval, int shards, TimeSpan? maxInterval = null, TimeSpan? sparseMaxInterval = null)
    {
        _shards = new Shard[Math.Max(1, shards)];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(interval, maxInterval ?? interval, sparseMaxInterval ?? maxInterval ?? interval);
        }
    }

    /// <summary>Adds the connection to its shard's next round. The caller guarantees it is not already waiting.</summary>
    [MethodImpl(HotPath.Compile)]
    public void Schedule(IFlushTarget connection) =>
        _shards[(int)((ulong)connection.FlushId % (ulong)_shards.Length)].Schedule(connection);

    /// <summary>
    /// The longest interval between write rounds any shard keeps now (its cadence stretches it under load): read
    /// only, for the metric (<c>broadcast.server.flush.interval</c>).
    /// </summary>
    public TimeSpan CurrentInterval
    {
        get
        {
            long longest = 0;
            foreach (var shard in _shards)
            {
                longest = Math.Max(longest, shard.IntervalTicks);
            }

            return TimeSpan.FromSeconds((double)longest / Stopwatch.Frequency);
        }
    }

    private sealed class Shard : IThreadPoolWorkItem
    {
        // Two lists swapped each round (rather than a concurrent queue, whose segments are allocated as it
        // grows), so steady-state rounds allocate nothing.
        private readonly Lock _lock = new();
        private readonly FlushCadence _cadence;
        private readonly Timer? _timer;
        private List<IFlushTarget> _dirty = [];
        private List<IFlushTarget> _round = [];
        private bool _roundPending;
        private long _lastRoundStart;
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BatchBytes);

        public Shard(TimeSpan interval, TimeSpan maxInterval, TimeSpan sparseMaxInterval)
        {
            var intervalTicks = ToTicks(interval);
            _cadence = new FlushCadence(intervalTicks, ToTicks(maxInterval), ToTicks(sparseMaxInterval));
            _lastRoundStart = Stopwatch.GetTimestamp() - intervalTicks;
            if (intervalTicks > 0)
            {
                _timer = new Timer(static state => ((Shard)state!).RunSoon(), this, Timeout.Infinite, Timeout.Infinite);
            }
        }

        /// <summary>The interval the cadence keeps now, in <see cref="Stopwatch"/> ticks.</summary>
        public long IntervalTicks => _cadence.IntervalTicks;

        [MethodImpl(HotPath.Compile)]
        public void Schedule(IFlushTarget connection)
        {
            bool start;
            lock (_lock)
            {
                _dirty.Add(connection);
                start = !_roundPending;
                _roundPending = true;
            }

            if (start)
            {
                StartRound();
            }
        }

        [MethodImpl(HotPath.Compile)]
        public void Execute()
        {
            var start = Stopwatch.GetTimestamp();
            Volatile.Write(ref _lastRoundStart, start);

            // Only the connections dirty when the round began: one that gets new frames while the round
            // runs waits for the next, so its frames are written together.
            List<IFlushTarget> round;
            lock (_lock)
            {
                round = _dirty;
                _dirty = _round;
                _round = round;
            }

            var writes = 0;
            var frames = 0;
            foreach (var connection in round)
            {
                var carried = connection.Flush(ref _buffer);
                if (carried > 0)
                {
                    writes++;
                    frames += carried;
                }
            }

            round.Clear();

            // Before the round stops being pending: from then on another thread may schedule the next one.
            var end = Stopwatch.GetTimestamp();
            _cadence.RoundEnded(start, end, writes, frames);
            bool again;
            lock (_lock)
            {
                again = _dirty.Count > 0;
                _roundPending = again;
            }

            if (again)
            {
                StartRound();
            }
        }

        private void StartRound()
        {
            var wait = _cadence.WaitTicks(Volatile.Read(ref _lastRoundStart), Stopwatch.GetTimestamp());
            if (_timer is null || wait <= 0)
            {
                RunSoon();
                return;
            }

            // Timers count whole milliseconds, and a due time that rounds down to zero fires at once:
            // round up, so that rounds really are at least the interval apart.
            var dueMilliseconds = (long)Math.Ceiling(wait * 1000.0 / Stopwatch.Frequency);
            _timer.Change(dueMilliseconds, Timeout.Infinite);
        }

        private static long ToTicks(TimeSpan interval) => (long)(interval.TotalSeconds * Stopwatch.Frequency);

        private void RunSoon() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }
}
