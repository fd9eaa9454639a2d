using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>Clients with short backoff delays, so reconnects in tests take milliseconds, not seconds.</summary>
public static class TestClients
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static BroadcastClientOptions Options(Endpoint endpoint, string? name = null, int seed = 1) => new()
    {
        UriProvider = endpoint.Next,
        Name = name,
        ReconnectBaseDelay = TimeSpan.FromMilliseconds(10),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        AckTimeout = TimeSpan.FromSeconds(10),
        Random = new Random(seed),
    };

    public static async Task<BroadcastClient> ConnectAsync(Endpoint endpoint, string? name = null, int seed = 1)
    {
        var client = new BroadcastClient(Options(endpoint, name, seed));
        using var timeout = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(timeout.Token);
        return client;
    }

    public static Task<BroadcastClient> ConnectAsync(RunningServer server, string? name = null, int seed = 1) =>
        ConnectAsync(new Endpoint(server.WebSocketUri), name, seed);

    /// <summary>The next publication, or a <see cref="TimeoutException"/>.</summary>
    public static async Task<Publication> NextAsync(this Subscription subscription, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            return await subscription.Publications.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"No publication on '{subscription.Channel}' within {timeout ?? Timeout}.");
        }
    }

    /// <summary>Waits for a task the test set up (an event) with the generous default timeout.</summary>
    public static Task Within(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Timeout);

    public static Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Timeout);
}
