namespace Broadcast.Client.Tests.Unit;

public sealed class BackoffTests
{
    [Fact]
    public void The_ceiling_doubles_per_attempt_up_to_the_maximum()
    {
        var ceilings = Enumerable.Range(0, 8)
            .Select(attempt => Backoff.Delay(attempt, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20), new FixedRandom(1.0)).TotalMilliseconds);

        Assert.Equal([500.0, 1000, 2000, 4000, 8000, 16000, 20000, 20000], ceilings);
    }

    [Fact]
    public void The_delay_is_a_random_fraction_of_the_ceiling_full_jitter()
    {
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(3, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20), new FixedRandom(0)));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), Backoff.Delay(3, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20), new FixedRandom(0.25)));

        var random = new Random(7);
        var delays = Enumerable.Range(0, 1000).Select(_ => Backoff.Delay(2, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20), random)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromMilliseconds(2000)));
        Assert.True(delays.Min() < TimeSpan.FromMilliseconds(200) && delays.Max() > TimeSpan.FromMilliseconds(1800), "The delays should spread over the whole range.");
    }

    [Fact]
    public void Huge_attempt_numbers_stay_at_the_maximum()
    {
        Assert.Equal(TimeSpan.FromSeconds(20), Backoff.Delay(int.MaxValue, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20), new FixedRandom(1.0)));
    }
}
