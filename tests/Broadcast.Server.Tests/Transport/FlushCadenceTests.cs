using Broadcast.Server.Transport;

namespace Broadcast.Server.Tests.Transport;

/// <summary>
/// How long flush rounds wait for one another: the base interval while writing is light, stretched (doubling) up to
/// the bound while rounds are heavy, and the base again once the writer sat idle for two intervals, so a frame after
/// a quiet spell is never held back by an earlier busy spell.
/// </summary>
public sealed class FlushCadenceTests
{
    private const long Base = 1_000;
    private const long Max = 4_000;
    private const long Heavy = Base / 2;
    private const long Light = Base / 10;

    [Fact]
    public void Heavy_rounds_stretch_the_interval_by_doubling_up_to_the_bound()
    {
        var cadence = new FlushCadence(Base, Max);
        Assert.Equal(Base, cadence.IntervalTicks);

        cadence.RoundEnded(Heavy);
        Assert.Equal(2 * Base, cadence.IntervalTicks);
        cadence.RoundEnded(Heavy);
        Assert.Equal(Max, cadence.IntervalTicks);
        cadence.RoundEnded(10 * Heavy);
        Assert.Equal(Max, cadence.IntervalTicks);

        // The next round waits out the stretched interval from the previous round's start.
        Assert.Equal(Max - Base, cadence.WaitTicks(sinceLastStart: Base));
    }

    [Fact]
    public void Light_rounds_bring_it_back_step_by_step()
    {
        var cadence = new FlushCadence(Base, Max);
        cadence.RoundEnded(Heavy);
        cadence.RoundEnded(Heavy);

        cadence.RoundEnded(Light);
        Assert.Equal(2 * Base, cadence.IntervalTicks);
        cadence.RoundEnded(Light);
        Assert.Equal(Base, cadence.IntervalTicks);
        cadence.RoundEnded(Light);
        Assert.Equal(Base, cadence.IntervalTicks);
    }

    [Fact]
    public void After_two_idle_intervals_a_frame_goes_out_at_once_and_the_base_interval_is_back()
    {
        var cadence = new FlushCadence(Base, Max);
        cadence.RoundEnded(Heavy);
        cadence.RoundEnded(Heavy);

        // Frames soon after a busy round wait for the stretched interval...
        Assert.True(cadence.WaitTicks(sinceLastStart: Max - 1) > 0);
        Assert.Equal(Max, cadence.IntervalTicks);

        // ...but after a quiet spell they are written at once, and the next round is back at the base.
        Assert.True(cadence.WaitTicks(sinceLastStart: 2 * Max) <= 0);
        Assert.Equal(Base, cadence.IntervalTicks);
    }

    [Fact]
    public void A_round_in_between_keeps_the_interval_it_has()
    {
        var cadence = new FlushCadence(Base, Max);
        cadence.RoundEnded(Heavy);
        cadence.RoundEnded(Base / 4);
        Assert.Equal(2 * Base, cadence.IntervalTicks);
    }

    [Theory]
    [InlineData(Base)]
    [InlineData(Base / 2)]
    public void A_bound_not_above_the_interval_never_stretches_it(long max)
    {
        var cadence = new FlushCadence(Base, max);
        cadence.RoundEnded(10 * Heavy);
        Assert.Equal(Base, cadence.IntervalTicks);
    }

    [Fact]
    public void Writing_as_soon_as_possible_stays_so()
    {
        var cadence = new FlushCadence(0, Max);
        cadence.RoundEnded(10 * Heavy);
        Assert.Equal(0, cadence.IntervalTicks);
        Assert.True(cadence.WaitTicks(sinceLastStart: 0) <= 0);
    }
}
