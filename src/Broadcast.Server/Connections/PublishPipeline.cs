namespace Broadcast.Server.Connections;

/// <summary>
/// A client's publishes still waiting on the engine. With Redis each publish is a round trip; waiting
/// for each before reading the next message would cap one publisher at one message per round trip. The
/// engine sends one node's commands to Redis over one connection in the order they are issued, so the
/// receive loop may go on reading while earlier publishes are in flight, and order is kept. At most
/// <see cref="MaxInFlight"/> wait at once; past that the loop waits for the oldest (backpressure on the client).
/// </summary>
/// <remarks>Used by the connection's receive loop only, so it needs no lock.</remarks>
public sealed class PublishPipeline
{
    public const int MaxInFlight = 64;

    private readonly Queue<Task> _inFlight = new();

    /// <summary>
    /// Adds a publish that has not completed yet. The returned task completes at once unless the window is
    /// full; it throws if an earlier publish failed with something other than an answered client error.
    /// </summary>
    public ValueTask AddAsync(Task publishing)
    {
        Last = publishing;
        _inFlight.Enqueue(publishing);
        while (_inFlight.TryPeek(out var oldest) && oldest.IsCompleted)
        {
            _inFlight.Dequeue();
            if (!oldest.IsCompletedSuccessfully)
            {
                return new ValueTask(oldest);
            }
        }

        return _inFlight.Count > MaxInFlight ? WaitForRoomAsync() : ValueTask.CompletedTask;
    }

    /// <summary>The last publish added (its answer comes after every earlier one's), or null.</summary>
    public Task? Last { get; private set; }

    /// <summary>True while a publish added is not answered yet: a later answer must wait for it.</summary>
    public bool IsBusy => Last is { IsCompleted: false };

    /// <summary>Waits for every publish still in flight (before the connection's subscriptions are dropped).</summary>
    public async Task DrainAsync()
    {
        while (_inFlight.TryDequeue(out var publishing))
        {
            await publishing.ConfigureAwait(false);
        }
    }

    private async ValueTask WaitForRoomAsync()
    {
        while (_inFlight.Count > MaxInFlight)
        {
            await _inFlight.Dequeue().ConfigureAwait(false);
        }
    }
}
