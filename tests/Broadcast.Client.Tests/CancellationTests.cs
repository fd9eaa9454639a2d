using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>Every call stops waiting when its token is cancelled, and leaves nothing behind.</summary>
public sealed class CancellationTests
{
    [Fact]
    public async Task A_cancelled_token_stops_publish_and_subscribe_before_anything_is_sent()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await TestClients.ConnectAsync(server);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PublishAsync("room", "never", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SubscribeAsync("room", cancellationToken: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.HistoryAsync("room", cancellationToken: cancelled.Token));

        Assert.Empty((await client.HistoryAsync("room")).Publications);
        Assert.Equal(0, (await client.PresenceAsync("room")).Count);
        await client.SubscribeAsync("room");
    }

    [Fact]
    public async Task Cancelling_while_disconnected_abandons_the_publication_and_the_subscription()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var client = await TestClients.ConnectAsync(endpoint);
        endpoint.GoOffline();
        client.AbortConnection();

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PublishAsync("room", "abandoned", soon.Token));
        }

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SubscribeAsync("room", cancellationToken: soon.Token));
        }

        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, change) =>
        {
            if (change.State == ConnectionState.Connected)
            {
                connected.TrySetResult();
            }
        };
        endpoint.PointAt(server.WebSocketUri);
        await connected.Task.WaitAsync(TestClients.Timeout);

        // After the reconnect the cancelled publication was not sent, and the client is not subscribed.
        Assert.Equal(1, (await client.PublishAsync("room", "kept")).Offset);
        Assert.Equal(["kept"], (await client.HistoryAsync("room")).Publications.Select(p => p.Message));
        Assert.Equal(0, (await client.PresenceAsync("room")).Count);
    }

    [Fact]
    public async Task Connecting_to_an_address_without_a_server_fails_and_can_be_retried()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        endpoint.GoOffline();
        await using var client = new BroadcastClient(TestClients.Options(endpoint));

        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
        Assert.Equal(ConnectionState.Disconnected, client.State);

        endpoint.PointAt(server.WebSocketUri);
        await client.ConnectAsync();
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Disposing_fails_pending_requests_and_completes_subscriptions()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        var client = await TestClients.ConnectAsync(endpoint);
        var room = await client.SubscribeAsync("room");
        endpoint.GoOffline();
        client.AbortConnection();
        var pending = client.PublishAsync("room", "never acked");

        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending);
        Assert.Empty(await room.ReadAllAsync().ToListAsync());
        Assert.Equal(ConnectionState.Disconnected, client.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PublishAsync("room", "after dispose"));
    }
}
