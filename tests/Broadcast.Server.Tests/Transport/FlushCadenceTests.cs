using Broadcast.Server.Transport;

namespace Broadcast.Server.Tests.Transport;

/// <summary>
/// How long flush rounds wait for one another: the base interval while writing is light, stretched (doubling) up to
/// FlushIntervalMax while rounds are heavy, further up to FlushIntervalSparseMax only while the writes are sparse (about
/// one frame each), back down once writes fill up, and the base
/// again once the writer sat idle for two intervals, so a frame after a quiet spell is never held back by an earlier
/// busy spell. Timestamps are fed by hand: the cadence is a pure function of the rounds it is told about.
/// </summary>
public sealed class FlushCadenceTests
{
    private const long Base = 1_000;
    private const long Max = 4_000;
    private const long SparseMax = 32_000;
    private const long Heavy = Base / 2;
    private const long Light = Base / 10;

    // One round of a large fan-out: as many writes as the cadence weighs together.
    private const int Many = FlushCadence.WindowWrites;

    [Fact]
    public void Heavy_rounds_stretch_the_interval_by_doubling_up_to_the_bound()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, Max));
        Assert.Equal(Base, rounds.Interval);

        rounds.Run(Heavy);
        Assert.Equal(2 * Base, rounds.Interval);
        rounds.Run(Heavy);
        Assert.Equal(Max, rounds.Interval);
        rounds.Run(10 * Heavy, share: 4);
        Assert.Equal(Max, rounds.Interval);

        // The next round waits out the stretched interval from the previous round's start.
        Assert.Equal(Max - Base, rounds.Cadence.WaitTicks(rounds.LastStart, rounds.LastStart + Base));
    }

    [Fact]
    public void Light_rounds_bring_it_back_step_by_step()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, Max));
        rounds.Run(Heavy);
        rounds.Run(Heavy);

        rounds.Run(Light);
        Assert.Equal(2 * Base, rounds.Interval);
        rounds.Run(Light);
        Assert.Equal(Base, rounds.Interval);
        rounds.Run(Light);
        Assert.Equal(Base, rounds.Interval);
    }

    [Fact]
    public void After_two_idle_intervals_a_frame_goes_out_at_once_and_the_base_interval_is_back()
    {
        var cadence = new FlushCadence(Base, Max, Max);
        cadence.RoundEnded(0, Heavy, 1, 1);
        cadence.RoundEnded(0, Heavy, 1, 1);
        Assert.Equal(Max, cadence.IntervalTicks);

        // Frames soon after a busy round wait for the stretched interval...
        Assert.True(cadence.WaitTicks(lastStart: 0, now: Max - 1) > 0);
        Assert.Equal(Max, cadence.IntervalTicks);

        // ...but after a quiet spell (two intervals since the last round ended) they are written at once, and the
        // next round is back at the base.
        Assert.True(cadence.WaitTicks(lastStart: 0, now: Heavy + (2 * Max)) <= 0);
        Assert.Equal(Base, cadence.IntervalTicks);
    }

    [Fact]
    public void A_round_longer_than_two_intervals_is_not_a_quiet_spell()
    {
        // A writer that cannot keep up: each round takes three of its intervals. Asking for the next round right as
        // this one ends must not count the round's own length as idle time (which would drop it to the base).
        var cadence = new FlushCadence(Base, Max, Max);
        cadence.RoundEnded(0, 3 * Max, 1, 1);
        cadence.RoundEnded(3 * Max, 6 * Max, 1, 1);
        Assert.Equal(Max, cadence.IntervalTicks);

        Assert.True(cadence.WaitTicks(lastStart: 3 * Max, now: 6 * Max) <= 0);
        Assert.Equal(Max, cadence.IntervalTicks);
    }

    [Fact]
    public void A_round_in_between_keeps_the_interval_it_has()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, Max));
        rounds.Run(Heavy);
        rounds.Run(Base / 4);
        Assert.Equal(2 * Base, rounds.Interval);
    }

    [Theory]
    [InlineData(Base)]
    [InlineData(Base / 2)]
    public void A_bound_not_above_the_interval_never_stretches_it(long max)
    {
        var rounds = new Rounds(new FlushCadence(Base, max, max));
        rounds.Run(10 * Heavy);
        Assert.Equal(Base, rounds.Interval);
    }

    [Fact]
    public void With_the_first_bound_at_the_base_sparse_writes_still_stretch_and_with_both_there_nothing_does()
    {
        var sparseOnly = new Rounds(new FlushCadence(Base, Base, SparseMax));
        var never = new Rounds(new FlushCadence(Base, Base, Base));
        for (var i = 0; i < 10; i++)
        {
            sparseOnly.Run(Heavy, writes: Many, frames: Many);
            never.Run(Heavy, writes: Many, frames: Many);
        }

        Assert.Equal(SparseMax, sparseOnly.Interval);
        Assert.Equal(Base, never.Interval);
    }

    [Fact]
    public void Writing_as_soon_as_possible_stays_so()
    {
        var rounds = new Rounds(new FlushCadence(0, Max, SparseMax));
        for (var i = 0; i < 10; i++)
        {
            rounds.Run(10 * Heavy, writes: Many, frames: Many);
        }

        Assert.Equal(0, rounds.Interval);
        Assert.True(rounds.Cadence.WaitTicks(lastStart: rounds.Now, now: rounds.Now) <= 0);
    }

    [Fact]
    public void Heavy_rounds_of_sparse_writes_stretch_past_the_first_bound_up_to_the_sparse_bound()
    {
        // 1,000 clients, each getting a frame now and then: every write carries one frame, whatever the interval.
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        var seen = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            rounds.Run(Heavy, writes: Many, frames: Many * 6 / 5);
            seen.Add(rounds.Interval);
        }

        Assert.Equal([2 * Base, Max, 2 * Max, 4 * Max, SparseMax, SparseMax], seen.Take(6));
        Assert.Equal(SparseMax, rounds.Interval);
    }

    [Fact]
    public void Writes_that_fill_up_past_the_first_bound_bring_the_interval_back_to_it_and_no_lower()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchToSparseMax();

        // The same clients now get frames often: each write carries six, and the writer has room (rounds take a few
        // percent of the time).
        var seen = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            rounds.Run(Heavy, writes: Many, frames: Many * 6);
            seen.Add(rounds.Interval);
        }

        Assert.Equal([SparseMax / 2, SparseMax / 4, Max, Max], seen.Take(4));
        Assert.Equal(Max, rounds.Interval);
    }

    [Fact]
    public void Writes_carrying_two_to_four_frames_hold_the_interval_where_it_is()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchToSparseMax();
        for (var i = 0; i < 8; i++)
        {
            rounds.Run(Heavy, writes: Many, frames: Many * 3);
        }

        Assert.Equal(SparseMax, rounds.Interval);
    }

    [Fact]
    public void Clients_that_fill_their_writes_within_the_first_bound_never_go_past_it()
    {
        // A chat: 200 clients, about four frames per write at the first bound, rounds half the time.
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        for (var i = 0; i < 50; i++)
        {
            rounds.Run(Heavy, writes: 200, frames: 800, share: 2);
            Assert.True(rounds.Interval <= Max, $"round {i}: {rounds.Interval}");
        }

        Assert.Equal(Max, rounds.Interval);
    }

    [Fact]
    public void One_round_of_stragglers_does_not_move_the_interval()
    {
        // At the first bound, a round that caught a handful of one-frame writes is weighed with the rounds after it.
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.Run(Heavy, writes: 200, frames: 800);
        rounds.Run(Heavy, writes: 200, frames: 800);
        Assert.Equal(Max, rounds.Interval);

        rounds.Run(Heavy, writes: 10, frames: 10);
        Assert.Equal(Max, rounds.Interval);
        for (var i = 0; i < 2 * FlushCadence.WindowRounds; i++)
        {
            rounds.Run(Heavy, writes: 200, frames: 800);
            Assert.Equal(Max, rounds.Interval);
        }
    }

    [Fact]
    public void A_saturated_writer_with_dense_writes_stretches_up_to_four_times_the_first_bound()
    {
        // 500 clients at 2,000 frames a second on a core that cannot keep up: each round lasts longer than any
        // interval and the next one starts as it ends, a dozen frames per write. Its frames wait a whole round anyway,
        // and fewer, fuller sends give the core room back (measured: bench/analysis.md).
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        var seen = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            rounds.Run(SparseMax, writes: Many, frames: Many * 12, share: 4);
            seen.Add(rounds.Interval);
        }

        Assert.Equal([2 * Base, Max, 2 * Max, FlushCadence.SaturatedStretch * Max, FlushCadence.SaturatedStretch * Max], seen.Take(5));
        Assert.Equal(FlushCadence.SaturatedStretch * Max, rounds.Interval);
    }

    [Fact]
    public void A_saturated_writer_stays_stretched_while_its_writes_stay_full_and_it_has_work()
    {
        // Stretched, the same writer now has room (rounds take three eighths of the stretched interval) and its writes
        // carry more than ever: coming back would only make it saturated again.
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchSaturated();
        for (var i = 0; i < 20; i++)
        {
            rounds.Run(FlushCadence.SaturatedStretch * Max * 3 / 8, writes: Many, frames: Many * 24, share: 4);
            Assert.Equal(FlushCadence.SaturatedStretch * Max, rounds.Interval);
        }
    }

    [Fact]
    public void A_saturated_writer_comes_back_to_the_first_bound_once_it_is_mostly_idle()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchSaturated();

        // The load fell: rounds take a thirtieth of the stretched interval, writes still full.
        for (var i = 0; i < 8; i++)
        {
            rounds.Run(Heavy, writes: Many, frames: Many * 6);
        }

        Assert.Equal(Max, rounds.Interval);

        // Back at the first bound, full writes of a writer with room hold it there (as a chat's do).
        for (var i = 0; i < 8; i++)
        {
            rounds.Run(Heavy, writes: Many, frames: Many * 6, share: 2);
            Assert.Equal(Max, rounds.Interval);
        }
    }

    [Fact]
    public void A_saturated_writer_whose_writes_thin_out_comes_back_although_it_is_still_busy()
    {
        // Stretched, then the frames thin out (a chat left on a shard a busy core had pushed there): eight frames per
        // write at four times the first bound, and a round's frames and length follow the interval, the writer busy
        // three eighths of the time. Half the interval would no longer fill its writes, so it comes back, and its
        // frames wait no longer than a chat's should.
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchSaturated();
        var stretched = rounds.Interval;
        for (var i = 0; i < 8; i++)
        {
            var interval = rounds.Interval;
            rounds.Run(interval * 3 / 8, writes: Many, frames: (int)(Many * 8 * interval / stretched), share: 4);
        }

        Assert.Equal(Max, rounds.Interval);
    }

    [Fact]
    public void A_writer_that_is_busy_but_not_saturated_with_full_writes_does_not_stretch_past_the_first_bound()
    {
        // Rounds take five eighths of the time, a dozen frames per write: it keeps up, so its frames are not held longer.
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        for (var i = 0; i < 50; i++)
        {
            rounds.Run(Max * 5 / 8, writes: Many, frames: Many * 12, busyEighths: 5);
            Assert.True(rounds.Interval <= Max, $"round {i}: {rounds.Interval}");
        }
    }

    [Fact]
    public void Light_writing_past_the_first_bound_comes_back_to_the_base()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchToSparseMax();

        // Most clients left: rounds of a few writes, each taking a few ticks.
        for (var i = 0; i < 100; i++)
        {
            rounds.Run(Light, writes: 3, frames: 3);
        }

        Assert.Equal(Base, rounds.Interval);
    }

    [Fact]
    public void After_a_quiet_spell_at_the_sparse_bound_a_frame_goes_out_at_once_and_stretching_starts_over()
    {
        var rounds = new Rounds(new FlushCadence(Base, Max, SparseMax));
        rounds.StretchToSparseMax();

        Assert.True(rounds.Cadence.WaitTicks(rounds.LastStart, rounds.Now + (2 * SparseMax)) <= 0);
        Assert.Equal(Base, rounds.Interval);

        // The next busy spell climbs again from the base, one doubling per round.
        rounds.Now += 2 * SparseMax;
        rounds.Run(Heavy, writes: Many, frames: Many);
        Assert.Equal(2 * Base, rounds.Interval);
    }

    /// <summary>
    /// Rounds one after another, each starting when the cadence lets it. <c>share</c> is the quarter of the time the
    /// rounds take (4: back to back): the round takes what it takes, and the writer then sits idle for the rest.
    /// </summary>
    private sealed class Rounds(FlushCadence cadence)
    {
        public FlushCadence Cadence { get; } = cadence;

        public long Now { get; set; }

        public long Interval => Cadence.IntervalTicks;

        public long LastStart { get; private set; }

        /// <param name="busyEighths">When set, the rounds take this many eighths of the time instead (<paramref name="share"/> ignored).</param>
        public void Run(long took, int writes = 1, int frames = 1, int share = 1, int busyEighths = 0)
        {
            LastStart = Now;
            Cadence.RoundEnded(LastStart, LastStart + took, writes, frames);

            // The next round is asked for once the writer sat idle long enough for the rounds to take share/4 of the
            // time, and starts when the cadence lets it.
            var cycle = busyEighths > 0 ? took * 8 / busyEighths : took * 4 / share;
            var asked = LastStart + cycle;
            Now = asked + Math.Max(0, Cadence.WaitTicks(LastStart, asked));
        }

        public void StretchSaturated()
        {
            for (var i = 0; i < 10; i++)
            {
                Run(SparseMax, writes: Many, frames: Many * 12, share: 4);
            }

            Assert.Equal(FlushCadence.SaturatedStretch * Max, Interval);
        }

        public void StretchToSparseMax()
        {
            for (var i = 0; i < 10; i++)
            {
                Run(Heavy, writes: Many, frames: Many);
            }

            Assert.Equal(SparseMax, Interval);
        }
    }
}
