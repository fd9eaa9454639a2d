using Broadcast.Testing;

namespace Broadcast.Client.Tests;

/// <summary>A publication whose ack is lost is sent again after reconnecting, and published once.</summary>
public sealed class PublishRetryTests
{
    [Fact]
    public async Task A_retry_after_a_lost_ack_gets_the_original_offset_as_a_duplicate_and_is_delivered_once()
    {
        await using var server = await RunningServer.StartAsync();
        await using var publisher = await TestClients.ConnectAsync(server);
        await using var subscriber = await TestClients.ConnectAsync(server);
        var room = await subscriber.SubscribeAsync("room");
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disconnected = 0;
        publisher.StateChanged += (_, change) =>
        {
            if (change.State == ConnectionState.Disconnected)
            {
                Interlocked.Increment(ref disconnected);
            }
            else if (change.State == ConnectionState.Connected && Volatile.Read(ref disconnected) > 0)
            {
                reconnected.TrySetResult();
            }
        };

        // The server accepts the publication and acks it; the ack is lost with the connection.
        var dropped = 0;
        publisher.InboundFilter = frame =>
        {
            if (frame.String("type") == "ack" && Interlocked.Exchange(ref dropped, 1) == 0)
            {
                publisher.AbortConnection();
                return false;
            }

            return true;
        };
        var sessionBefore = publisher.SessionId;

        var result = await publisher.PublishAsync("room", "exactly once");

        await reconnected.Task.Within();
        Assert.Equal(1, dropped);
        Assert.Equal(sessionBefore, publisher.SessionId);
        Assert.Equal((1L, true), (result.Offset, result.Duplicate));
        var delivered = await room.NextAsync();
        Assert.Equal((1L, "exactly once"), (delivered.Offset, delivered.Message));

        // The next publication is the next offset, and is what the subscriber receives next: no second copy came in between.
        var second = await publisher.PublishAsync("room", "next");
        Assert.Equal((2L, false), (second.Offset, second.Duplicate));
        var next = await room.NextAsync();
        Assert.Equal((2L, "next"), (next.Offset, next.Message));
        var history = await subscriber.HistoryAsync("room");
        Assert.Equal(["exactly once", "next"], history.Publications.Select(p => p.Message));
    }

    [Fact]
    public async Task Publications_made_while_disconnected_are_sent_in_order_once_reconnected()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var publisher = await TestClients.ConnectAsync(endpoint);
        await using var subscriber = await TestClients.ConnectAsync(server);
        var room = await subscriber.SubscribeAsync("room");

        endpoint.GoOffline();
        publisher.AbortConnection();
        var attemptsBefore = endpoint.Attempts;
        var publishing = Enumerable.Range(1, 10).Select(i => publisher.PublishAsync("room", $"m{i}")).ToList();
        await Eventually.TrueAsync(() => endpoint.Attempts > attemptsBefore + 1, TestClients.Timeout, "refused reconnect attempts");
        Assert.All(publishing, p => Assert.False(p.IsCompleted));

        endpoint.PointAt(server.WebSocketUri);
        var results = await Task.WhenAll(publishing).WaitAsync(TestClients.Timeout);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), results.Select(r => r.Offset));
        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal($"m{i}", (await room.NextAsync()).Message);
        }
    }
}
