using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// Webhooks on several Redis nodes: each event is decided once for the deployment and sent by one node, and
/// events a node held when it was killed are sent by another.
/// </summary>
public sealed class WebhookClusterTests(RedisEngineUnderTest engine) : IClassFixture<RedisEngineUnderTest>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Occupied_and_vacated_are_sent_once_for_the_deployment_however_the_subscribers_are_spread_over_two_nodes()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var keySpace = "w" + Guid.NewGuid().ToString("N")[..12];
        await using var a = await engine.StartAsync(receiver.Settings(), keySpace);
        await using var b = await engine.StartAsync(receiver.Settings(), keySpace);
        const int Channels = 8;
        for (var i = 0; i < Channels; i++)
        {
            // One subscriber on each node, subscribing and leaving at the same moment: the script decides which is
            // first and last. Both joins are in before either leaves: a `subscribed` reply goes out before its
            // presence join is made, so one subscriber's leave could otherwise come before the other's join
            // (the channel vacated and occupied twice, rightly).
            var onA = await ExtendedClient.ConnectAsync(a);
            var onB = await ExtendedClient.ConnectAsync(b);
            await Task.WhenAll(onA.SubscribeAsync("shared:" + i), onB.SubscribeAsync("shared:" + i));
            await Eventually.TrueAsync(() => receiver.Deduplicated("shared:" + i).Count(e => e.Type == "presence_join") == 2, Patience, "both joins of shared:" + i);
            await Task.WhenAll(onA.DisposeAsync().AsTask(), onB.DisposeAsync().AsTask());
        }

        await Eventually.TrueAsync(() => Enumerable.Range(0, Channels).All(i => receiver.Deduplicated("shared:" + i).Any(e => e.Type == "channel_vacated")), Patience, "every channel vacated");
        for (var i = 0; i < Channels; i++)
        {
            // At least once: a receiver dedupes by event id (docs/integration.md); what is counted is each event, not each delivery.
            var events = receiver.Deduplicated("shared:" + i);
            Assert.Single(events, e => e.Type == "channel_occupied");
            Assert.Single(events, e => e.Type == "channel_vacated");
            Assert.Equal(2, events.Count(e => e.Type == "presence_join"));
            Assert.Equal(2, events.Count(e => e.Type == "presence_leave"));
            var occupied = events.Single(e => e.Type == "channel_occupied").Json.GetProperty("time").GetDateTimeOffset();
            var vacated = events.Single(e => e.Type == "channel_vacated").Json.GetProperty("time").GetDateTimeOffset();
            Assert.True(occupied <= vacated);
        }
    }


    [Fact]
    public async Task With_three_nodes_and_a_receiver_that_always_answers_200_every_event_is_delivered_exactly_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var keySpace = "w" + Guid.NewGuid().ToString("N")[..12];
        var settings = receiver.Settings(new Dictionary<string, string?> { ["Broadcast:Webhooks:MaxBatchSize"] = "4" });
        RunningServer[] nodes = [await engine.StartAsync(settings, keySpace), await engine.StartAsync(settings, keySpace), await engine.StartAsync(settings, keySpace)];
        try
        {
            var clients = new List<ExtendedClient>();
            for (var i = 0; i < 30; i++)
            {
                var client = await ExtendedClient.ConnectAsync(nodes[i % 3]);
                await client.SubscribeAsync("trio:" + (i % 10));
                clients.Add(client);
            }

            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            // 10 channels × (occupied + vacated) + 30 × (join + leave).
            await Eventually.TrueAsync(() => receiver.Accepted.Count >= 80, Patience, "80 events");

            // Until every node is done (nothing pending anywhere, and all they count as sent has arrived), so a
            // duplicate, had any node sent one, would be among what is counted below.
            await receiver.WaitUntilNodesDoneAsync(Patience, nodes);
            var accepted = receiver.Accepted;
            Assert.Equal(80, accepted.Count);
            Assert.Equal(80, accepted.Select(e => e.Id).Distinct().Count());
            Assert.Equal(10, accepted.Count(e => e.Type == "channel_occupied"));
            Assert.Equal(10, accepted.Count(e => e.Type == "channel_vacated"));
            Assert.Empty(receiver.Refused);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_node_that_stops_gracefully_hands_the_leaves_and_vacated_events_of_its_closing_connections_to_Redis_first()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var keySpace = "w" + Guid.NewGuid().ToString("N")[..12];
        await using var survivor = await engine.StartAsync(receiver.Settings(), keySpace);
        var stopping = await engine.StartAsync(receiver.Settings(), keySpace);
        const int Channels = 300;
        var clients = new List<ExtendedClient>();
        for (var i = 0; i < Channels; i++)
        {
            var client = await ExtendedClient.ConnectAsync(stopping);
            await client.SubscribeAsync("stopping:" + i);
            clients.Add(client);
        }

        await Eventually.TrueAsync(() => receiver.Accepted.Select(e => e.Id).Distinct().Count() >= 2 * Channels, Patience, "every occupied and join");

        // Stopping closes every connection (each leaves its channel, which is vacated) while the node shuts down.
        await stopping.DisposeAsync();
        var vacated = 0;
        try
        {
            await Eventually.TrueAsync(
                () => (vacated = receiver.Accepted.Where(e => e.Type == "channel_vacated").Select(e => e.Channel).Distinct().Count()) == Channels,
                Patience,
                "every channel vacated");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} ({vacated} of {Channels})", ex);
        }

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Events_a_killed_node_held_are_sent_by_another_node()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => 500;
        var keySpace = "w" + Guid.NewGuid().ToString("N")[..12];
        var environment = new Dictionary<string, string>(engine.Environment(keySpace));
        foreach (var (key, value) in receiver.Settings())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        string doomed;
        List<string> held;
        await using (var process = ServerProcess.Start(environment))
        {
            var address = await process.WaitUntilListeningAsync();

            // A legacy client is subscribed to "events" on connect: occupied and join, which the receiver refuses.
            await using var legacy = await TestClient.ConnectAsync(new Uri($"ws://{address.Authority}/ws/events"));
            await Eventually.TrueAsync(() => receiver.Refused.Select(e => e.Id).Distinct().Count() >= 2, Patience, "the node to try its two events");
            doomed = receiver.Refused[0].Node;
            held = [.. receiver.Refused.Select(e => e.Id).Distinct()];
            await process.KillAsync();
        }

        receiver.Answer = _ => 200;
        await using var survivor = await engine.StartAsync(
            receiver.Settings(new Dictionary<string, string?> { ["Broadcast:Webhooks:ClaimIdle"] = "00:00:03", ["Broadcast:Webhooks:Timeout"] = "00:00:01" }),
            keySpace);
        await Eventually.TrueAsync(() => held.All(id => receiver.Accepted.Any(e => e.Id == id)), Patience, "the killed node's events to be sent");
        Assert.All(receiver.Accepted.Where(e => held.Contains(e.Id)), e => Assert.NotEqual(doomed, e.Node));
        Assert.Equal(["channel_occupied", "presence_join"], receiver.Accepted.Where(e => held.Contains(e.Id)).Select(e => e.Type));
        Assert.Equal(held.Count, receiver.Accepted.Count(e => held.Contains(e.Id)));
    }

    [Fact]
    public async Task Members_of_a_killed_node_are_reported_left_and_their_channel_vacated_once_by_a_node_that_never_used_the_channel()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var keySpace = "w" + Guid.NewGuid().ToString("N")[..12];

        // Members live 3 s after their node's last refresh; the survivor sweeps every 1.5 s.
        var settings = receiver.Settings(new Dictionary<string, string?> { ["Broadcast:Redis:PresenceTtl"] = "00:00:03", ["Broadcast:Auth:AnonymousSubscribe"] = "*" });
        await using var survivor = await engine.StartAsync(settings, keySpace);
        var environment = new Dictionary<string, string>(engine.Environment(keySpace));
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        const string Channel = "orphaned:room";
        await using (var process = ServerProcess.Start(environment))
        {
            var address = await process.WaitUntilListeningAsync();
            var client = await ExtendedClient.ConnectAsync(new Uri($"ws://{address.Authority}/ws/events"));
            await client.SubscribeAsync(Channel, presence: true);
            // Sent by either node: the node that decides an event is not the one that delivers it (one consumer group).
            await Eventually.TrueAsync(() => receiver.Accepted.Any(e => e.Channel == Channel && e.Type == "presence_join"), Patience, "the join to be sent");

            // No leave can be sent by the node itself: it dies with its client still subscribed.
            await process.KillAsync();
        }

        await Eventually.TrueAsync(
            () => receiver.Accepted.Any(e => e.Channel == Channel && e.Type == "channel_vacated"),
            Patience,
            "the survivor to report the killed node's member left and the channel vacated");

        // Only the survivor is alive to send it.
        var survivorNode = receiver.Accepted.First(e => e.Channel == Channel && e.Type == "channel_vacated").Node;

        // Until the survivor is done (nothing pending, all it counts as sent has arrived), so a duplicate it made would be counted below.
        var seen = "";
        try
        {
            await Eventually.TrueAsync(
            async () =>
            {
                var scrape = await PrometheusScrape.FetchAsync(survivor.Http);
                var pending = scrape.Sum("broadcast_server_webhook_events_pending");
                var sent = scrape.Sum("broadcast_server_webhook_events_sent_total");
                var arrived = receiver.Accepted.Count(e => e.Node == survivorNode);
                seen = $"pending {pending}, sent {sent}, arrived {arrived}: " + string.Join(", ", receiver.Accepted.Select(e => $"{e.Type}@{e.Node}"));
                return pending == 0 && sent == arrived;
            },
            Patience,
            "the survivor to be done");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + " Last seen: " + seen, ex);
        }

        var events = receiver.Accepted.Where(e => e.Channel == Channel).ToList();
        Assert.Single(events, e => e.Type == "channel_occupied");
        Assert.Single(events, e => e.Type == "presence_join");
        Assert.Single(events, e => e.Type == "presence_leave");
        Assert.Single(events, e => e.Type == "channel_vacated");
        Assert.Equal(
            events.Single(e => e.Type == "presence_join").Json.GetProperty("member").GetRawText(),
            events.Single(e => e.Type == "presence_leave").Json.GetProperty("member").GetRawText());
    }
}
