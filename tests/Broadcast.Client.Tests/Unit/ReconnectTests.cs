using System.Collections.Concurrent;

namespace Broadcast.Client.Tests.Unit;

/// <summary>The reconnect and resume state machine, driven frame by frame through a fake transport.</summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task A_reconnect_resumes_the_session_resubscribes_from_the_position_and_resends_the_unacked_publish()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions
        {
            Uri = new Uri("ws://fake/ws/events"),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
        });
        var states = new ConcurrentQueue<ConnectionState>();
        client.StateChanged += (_, change) => states.Enqueue(change.State);
        var recovered = new TaskCompletionSource<ChannelRecovery>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Recovered += (_, recovery) => recovered.TrySetResult(recovery);

        var connecting = client.ConnectAsync();
        var first = await server.AcceptAsync("session-one");
        await connecting.Within();
        Assert.Equal("session-one", client.SessionId);

        var subscribing = client.SubscribeAsync("room");
        var subscribe = await first.NextSentAsync();
        Assert.Equal(("subscribe", "room"), (subscribe.String("type"), subscribe.String("channel")));
        Assert.False(subscribe.TryGetProperty("since", out _));
        first.Push(new { type = "subscribed", id = subscribe.String("id"), channel = "room", epoch = "e1", offset = 10 });
        var room = await subscribing.Within();

        first.Push(Pub(11, "eleven"));
        first.Push(Pub(11, "eleven again"));
        first.Push(Pub(12, "twelve"));
        Assert.Equal("eleven", (await room.NextAsync()).Message);
        Assert.Equal("twelve", (await room.NextAsync()).Message);

        var publishing = client.PublishAsync("room", "mine");
        var publish = await first.NextSentAsync();
        first.Drop();

        var second = await server.NextConnectionAsync();
        var hello = await second.NextSentAsync();
        Assert.Equal(("hello", "session-one"), (hello.String("type"), hello.String("session")));
        second.Push(new { type = "welcome", session = "session-one", resumed = true, protocol = 2 });

        var resubscribe = await second.NextSentAsync();
        Assert.Equal(("subscribe", "room"), (resubscribe.String("type"), resubscribe.String("channel")));
        var since = resubscribe.GetProperty("since");
        Assert.Equal(("e1", 12L), (since.String("epoch"), since.Int64("offset")));
        var retry = await second.NextSentAsync();
        Assert.Equal(publish.GetRawText(), retry.GetRawText());

        second.Push(new { type = "subscribed", id = resubscribe.String("id"), channel = "room", epoch = "e1", offset = 14, recovered = true, missed = 1 });
        second.Push(Pub(13, "thirteen"));
        second.Push(new { type = "ack", id = retry.String("id"), channel = "room", epoch = "e1", offset = 14, duplicate = true });

        var recovery = await recovered.Task.Within();
        Assert.Equal(("room", true, 1), (recovery.Channel, recovery.Recovered, recovery.Missed));
        Assert.Equal("thirteen", (await room.NextAsync()).Message);
        var result = await publishing.Within();
        Assert.Equal((14L, true), (result.Offset, result.Duplicate));
        Assert.Equal(14, room.Offset);
        Assert.Equal(
            [ConnectionState.Connecting, ConnectionState.Connected, ConnectionState.Disconnected, ConnectionState.Reconnecting, ConnectionState.Connecting, ConnectionState.Connected],
            states.ToArray());
    }

    [Fact]
    public async Task A_publish_answered_publish_unknown_is_sent_again_with_the_same_id_and_completes_with_its_ack()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions
        {
            Uri = new Uri("ws://fake/ws/events"),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
        });
        var connecting = client.ConnectAsync();
        var connection = await server.AcceptAsync("session-one");
        await connecting.Within();

        var publishing = client.PublishAsync("room", "maybe");
        var publish = await connection.NextSentAsync();
        connection.Push(new { type = "error", id = publish.String("id"), channel = "room", code = "publish_unknown", error = "The engine did not answer in time." });

        // Not an error for the caller: the same frame again, on the same connection, after a short backoff.
        var retry = await connection.NextSentAsync();
        Assert.Equal(publish.GetRawText(), retry.GetRawText());
        Assert.False(publishing.IsCompleted);
        connection.Push(new { type = "ack", id = retry.String("id"), channel = "room", epoch = "e1", offset = 5, duplicate = true });
        var result = await publishing.Within();
        Assert.Equal((5L, true), (result.Offset, result.Duplicate));
    }

    [Fact]
    public async Task A_server_notice_of_lost_publications_raises_RecoveryFailed_and_the_stream_continues_from_it()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions { Uri = new Uri("ws://fake/ws/events") });
        var failed = new TaskCompletionSource<ChannelRecovery>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.RecoveryFailed += (_, recovery) => failed.TrySetResult(recovery);

        var connecting = client.ConnectAsync();
        var connection = await server.AcceptAsync("session-one");
        await connecting.Within();
        var subscribing = client.SubscribeAsync("room");
        var subscribe = await connection.NextSentAsync();
        connection.Push(new { type = "subscribed", id = subscribe.String("id"), channel = "room", epoch = "e1", offset = 10 });
        var room = await subscribing.Within();

        // Redis came back empty: the server says publications up to (e2, 0) are lost, then e2 goes on.
        connection.Push(new { type = "unrecovered", channel = "room", epoch = "e2", offset = 0 });
        connection.Push(new { type = "pub", channel = "room", offset = 1, epoch = "e2", origin = "other", timestamp = "2026-11-26T10:15:30.123456+00:00", message = "new era" });

        var recovery = await failed.Task.Within();
        Assert.Equal(("room", false, "e2", 0L), (recovery.Channel, recovery.Recovered, recovery.Epoch, recovery.Offset));
        Assert.Equal("new era", (await room.NextAsync()).Message);
        Assert.Equal(("e2", 1L), (room.Epoch, room.Offset));
    }

    [Fact]
    public async Task A_server_notice_of_dropped_publications_raises_PublicationsDropped_and_the_stream_goes_on()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions { Uri = new Uri("ws://fake/ws/events") });
        var dropped = new TaskCompletionSource<ChannelDrop>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.PublicationsDropped += (_, drop) => dropped.TrySetResult(drop);

        var connecting = client.ConnectAsync();
        var connection = await server.AcceptAsync("session-one");
        await connecting.Within();
        var subscribing = client.SubscribeAsync("ticker");
        var subscribe = await connection.NextSentAsync();
        connection.Push(new { type = "subscribed", id = subscribe.String("id"), channel = "ticker", epoch = "e1", offset = 10 });
        var ticker = await subscribing.Within();

        // A notice for a channel this client does not have is ignored; the one for its own is raised.
        connection.Push(new { type = "dropped", channel = "elsewhere", count = 3 });
        connection.Push(new { type = "dropped", channel = "ticker", count = 5 });
        connection.Push(new { type = "pub", channel = "ticker", offset = 16, epoch = "e1", origin = "other", timestamp = "2026-11-26T10:15:30.123456+00:00", message = "latest" });

        Assert.Equal(new ChannelDrop("ticker", 5), await dropped.Task.Within());
        Assert.Equal("latest", (await ticker.NextAsync()).Message);
        Assert.Equal(16, ticker.Offset);
    }

    [Fact]
    public async Task Reconnect_delays_back_off_exponentially_up_to_the_cap_and_restart_after_a_stable_connection()
    {
        var server = new FakeServer();
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var client = NewClient(server, new BroadcastClientOptions
        {
            Uri = new Uri("ws://fake/ws/events"),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(2),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(16),
            StableConnectionTime = TimeSpan.Zero,
            Random = new FixedRandom(0.5),
        });
        client.StateChanged += (_, change) =>
        {
            if (change.ReconnectDelay is { } delay)
            {
                delays.Enqueue(delay);
            }
        };
        var connecting = client.ConnectAsync();
        var first = await server.AcceptAsync("session-one");
        await connecting.Within();

        server.Refuse(true);
        first.Drop();
        await Broadcast.Testing.Eventually.TrueAsync(() => delays.Count >= 6, TestClients.Timeout, "six reconnect attempts");
        server.Refuse(false);
        var second = await server.AcceptAsync("session-one", resumed: true);
        var countBefore = delays.Count;
        second.Drop();
        await server.AcceptAsync("session-one", resumed: true);

        // Half of 2, 4, 8, 16, 16, 16 ms while refused; after a (zero-length) stable connection, half of 2 ms again.
        Assert.Equal([1.0, 2, 4, 8, 8, 8], delays.Take(6).Select(d => d.TotalMilliseconds));
        Assert.Equal(1.0, delays.ElementAt(countBefore).TotalMilliseconds);
    }

    [Fact]
    public async Task A_request_unanswered_within_the_ack_timeout_drops_the_connection_and_is_sent_again()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions
        {
            Uri = new Uri("ws://fake/ws/events"),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
            // The hello of each connection waits for its welcome under this timeout too: 300 ms was too short for
            // the fake server on a loaded machine (the reconnect's welcome came late and the test failed).
            AckTimeout = TimeSpan.FromSeconds(2),
        });
        var connecting = client.ConnectAsync();
        var first = await server.AcceptAsync("session-one");
        await connecting.Within();

        var publishing = client.PublishAsync("room", "hello?");
        var publish = await first.NextSentAsync();
        // No ack: the connection looks alive but is not.

        var second = await server.AcceptAsync("session-one", resumed: true);
        var retry = await second.NextSentAsync();
        Assert.Equal(publish.GetRawText(), retry.GetRawText());
        second.Push(new { type = "ack", id = retry.String("id"), channel = "room", epoch = "e1", offset = 1, duplicate = false });
        Assert.Equal(1, (await publishing.Within()).Offset);
    }

    [Fact]
    public async Task An_error_frame_fails_the_request_with_its_id_and_code()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions { Uri = new Uri("ws://fake/ws/events") });
        var connecting = client.ConnectAsync();
        var connection = await server.AcceptAsync("session-one");
        await connecting.Within();

        var publishing = client.PublishAsync("room", "x");
        var other = client.PublishAsync("room", "y");
        var publish = await connection.NextSentAsync();
        connection.Push(new { type = "error", id = publish.String("id"), channel = "room", code = "message_empty", error = "Field 'message' must not be empty." });

        var error = await Assert.ThrowsAsync<BroadcastException>(() => publishing);
        Assert.Equal((ErrorCodes.MessageEmpty, "Field 'message' must not be empty."), (error.Code, error.Message));
        Assert.False(other.IsCompleted);
    }

    [Fact]
    public async Task A_publication_larger_than_the_server_limit_is_refused_without_being_sent()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions { Uri = new Uri("ws://fake/ws/events") });
        var connecting = client.ConnectAsync();
        await server.AcceptAsync("session-one");
        await connecting.Within();

        var error = await Assert.ThrowsAsync<BroadcastException>(() => client.PublishAsync("room", new string('x', 70_000)));
        Assert.Equal(ErrorCodes.MessageTooBig, error.Code);
    }

    [Fact]
    public async Task A_session_the_server_refuses_is_dropped_and_the_next_attempt_starts_a_new_one()
    {
        var server = new FakeServer();
        await using var client = NewClient(server, new BroadcastClientOptions
        {
            Uri = new Uri("ws://fake/ws/events"),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
        });
        var connecting = client.ConnectAsync();
        var first = await server.NextConnectionAsync();
        await first.NextSentAsync();
        first.Push(new { type = "welcome", session = "token-one", publicId = "p_public-one", resumed = false, protocol = 2 });
        await connecting.Within();
        Assert.Equal(("token-one", "p_public-one"), (client.SessionId, client.PublicSessionId));
        first.Drop();

        // The server no longer lets this client resume that session (e.g. it now belongs to another user).
        var second = await server.NextConnectionAsync();
        var hello = await second.NextSentAsync();
        Assert.Equal("token-one", hello.String("session"));
        second.Push(new { type = "error", code = "session_forbidden", error = "This session belongs to another user." });

        var third = await server.NextConnectionAsync();
        var fresh = await third.NextSentAsync();
        Assert.Equal("hello", fresh.String("type"));
        Assert.False(fresh.TryGetProperty("session", out _));
        third.Push(new { type = "welcome", session = "token-two", publicId = "p_public-two", resumed = false, protocol = 2 });
        await Broadcast.Testing.Eventually.TrueAsync(() => client.PublicSessionId == "p_public-two", TestClients.Timeout, "the new session");
        Assert.Equal("token-two", client.SessionId);
    }

    private static BroadcastClient NewClient(FakeServer server, BroadcastClientOptions options) =>
        new(options) { TransportFactory = server.CreateTransport };

    private static object Pub(long offset, string message) =>
        new { type = "pub", channel = "room", offset, epoch = "e1", origin = "someone-else", timestamp = "2026-11-26T10:15:30.123456+00:00", message };
}
