namespace Broadcast.Testing;

/// <summary>Polls a condition that a real server reaches asynchronously, with a generous deadline.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
