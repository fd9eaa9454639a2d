namespace Broadcast.Client;

/// <summary>Exponential backoff with full jitter.</summary>
internal static class Backoff
{
    /// <summary>
    /// A random delay in [0, min(max, base·2^attempt)). Full jitter spreads the reconnects of many clients
    /// that lost the same server at the same moment, instead of having them all come back in waves.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        // 2^30 times any sensible base is past any sensible cap; the clamp keeps the power finite.
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 30)));
        return TimeSpan.FromMilliseconds(random.NextDouble() * Math.Max(0, ceiling));
    }
}
