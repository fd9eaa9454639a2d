using System.Text;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// Webhooks on one node of each engine, with a real receiver on loopback: what is sent, how it is signed, and
/// that a receiver that fails gets every event anyway, each once by id.
/// </summary>
public abstract class WebhookTests(EngineUnderTest engine)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Events_are_signed_batches_telling_occupied_join_leave_and_vacated_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await engine.StartAsync(receiver.Settings());
        var client = await ExtendedClient.ConnectAsync(server, name: "ann");
        await client.SubscribeAsync("room:1");
        await client.DisposeAsync();

        await Eventually.TrueAsync(() => receiver.Accepted.Count(e => e.Channel == "room:1") >= 4, Patience, "four events of room:1");
        var events = receiver.Accepted.Where(e => e.Channel == "room:1").ToList();
        Assert.Equal(["channel_occupied", "presence_join", "presence_leave", "channel_vacated"], events.Select(e => e.Type));
        Assert.Equal(4, events.Select(e => e.Id).Distinct().Count());
        Assert.All(events, e => Assert.True(DateTimeOffset.UtcNow - e.Json.GetProperty("time").GetDateTimeOffset() < Patience));
        var join = events[1].Json.GetProperty("member");
        Assert.Equal("ann", join.GetProperty("name").GetString());
        Assert.Equal(client.PublicId, join.GetProperty("session").GetString());
        Assert.Equal(join.GetProperty("client").GetString(), events[2].Json.GetProperty("member").GetProperty("client").GetString());

        // Every request verified (the receiver refuses others with 401); a tampered body or an old timestamp would not.
        var request = receiver.Backend.Requests.First();
        var signature = request.Header("X-Broadcast-Signature");
        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", signature);
        Assert.True(WebhookReceiver.Verifies(signature, request.Body, WebhookReceiver.Secret, DateTimeOffset.UtcNow));
        Assert.False(WebhookReceiver.Verifies(signature, request.Body.Replace("room:1", "room:2", StringComparison.Ordinal), WebhookReceiver.Secret, DateTimeOffset.UtcNow));
        Assert.False(WebhookReceiver.Verifies(signature, request.Body, "another-secret-0123456789", DateTimeOffset.UtcNow));
        Assert.False(WebhookReceiver.Verifies(signature, request.Body, WebhookReceiver.Secret, DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.Equal("application/json; charset=utf-8", request.Header("Content-Type"));
        Assert.Equal(0, receiver.Backend.Requests.Count(r => r.Body.Length == 0));
    }

    [Fact]
    public async Task A_receiver_that_fails_the_first_three_attempts_still_gets_every_event_once_by_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = n => n switch { 1 => 500, 2 => 503, 3 => 404, _ => 200 };
        await using var server = await engine.StartAsync(receiver.Settings(new Dictionary<string, string?> { ["Broadcast:Webhooks:MaxBatchSize"] = "3" }));
        for (var i = 0; i < 5; i++)
        {
            await using var client = await ExtendedClient.ConnectAsync(server);
            await client.SubscribeAsync("retry:" + i);
        }

        // 5 channels × (occupied, join, leave, vacated).
        await Eventually.TrueAsync(() => receiver.Accepted.Select(e => e.Id).Distinct().Count() == 20, Patience, "all 20 events accepted");
        Assert.True(receiver.RequestCount >= 4);
        var accepted = receiver.Accepted;
        Assert.Equal(20, accepted.Count);
        Assert.Equal(accepted.Count, accepted.Select(e => e.Id).Distinct().Count());

        // What the receiver refused was sent again, not replaced by something else.
        Assert.NotEmpty(receiver.Refused);
        Assert.All(receiver.Refused, refused => Assert.Contains(accepted, e => e.Id == refused.Id));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(["channel_occupied", "presence_join", "presence_leave", "channel_vacated"], accepted.Where(e => e.Channel == "retry:" + i).Select(e => e.Type));
        }

        // Counted: each event once as sent, each failed attempt as a retry, and nothing left pending.
        await Eventually.TrueAsync(
            async () =>
            {
                var scrape = await PrometheusScrape.FetchAsync(server.Http);
                return scrape.Sum("broadcast_server_webhook_events_sent_total") == 20 && scrape.Sum("broadcast_server_webhook_events_pending") == 0;
            },
            Patience,
            "20 events counted as sent, none pending");
        var final = await PrometheusScrape.FetchAsync(server.Http);
        Assert.True(final.Sum("broadcast_server_webhook_requests_retried_total") >= 3);
        Assert.Equal(0, final.Sum("broadcast_server_webhook_events_failed_total"));
    }

    [Fact]
    public async Task Publications_are_sent_only_for_the_channels_chosen_and_carry_their_position_and_message()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await engine.StartAsync(receiver.Settings(new Dictionary<string, string?>
        {
            ["Broadcast:Webhooks:PublicationChannels"] = "audit:*",
            ["Broadcast:Webhooks:Events"] = "channel_occupied",
        }));
        await using var client = await ExtendedClient.ConnectAsync(server);
        await client.PublishAsync("audit:1", "he said \"hi\" ✓", "m1");
        await client.PublishAsync("chat:1", "not sent", "m2");
        await client.SubscribeAsync("quiet:1");

        await Eventually.TrueAsync(() => receiver.Accepted.Any(e => e.Type == "channel_occupied"), Patience, "the occupied event");
        var publication = Assert.Single(receiver.Accepted, e => e.Type == "publication");
        Assert.Equal("audit:1", publication.Channel);
        Assert.Equal("he said \"hi\" ✓", publication.Json.GetProperty("message").GetString());
        Assert.Equal(1, publication.Json.GetProperty("offset").GetInt64());
        Assert.False(string.IsNullOrEmpty(publication.Json.GetProperty("epoch").GetString()));
        Assert.Equal(client.PublicId, publication.Json.GetProperty("session").GetString());

        // Only the chosen type: no join for quiet:1.
        Assert.DoesNotContain(receiver.Accepted, e => e.Type == "presence_join");
        Assert.Equal("quiet:1", Assert.Single(receiver.Accepted, e => e.Type == "channel_occupied").Channel);
        Assert.True(Encoding.UTF8.GetByteCount(receiver.Backend.Requests[0].Body) > 0);
    }

    [Fact]
    public async Task A_publication_of_data_or_bytes_is_sent_with_that_payload_as_a_pub_carries_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await engine.StartAsync(receiver.Settings(new Dictionary<string, string?>
        {
            ["Broadcast:Webhooks:PublicationChannels"] = "audit:*",
            ["Broadcast:Webhooks:Events"] = "channel_occupied",
        }));
        await using var client = await ExtendedClient.ConnectAsync(server);
        const string data = """{"order": 7, "items": [1, "two", null, true]}""";
        await client.Client.SendTextAsync($$"""{"type":"publish","id":"d1","channel":"audit:1","data":{{data}}}""");
        await client.ReceiveAsync("ack");
        await client.Client.SendTextAsync("""{"type":"publish","id":"b1","channel":"audit:1","bytes":"AAH/"}""");
        await client.ReceiveAsync("ack");

        await Eventually.TrueAsync(() => receiver.Accepted.Count(e => e.Type == "publication") == 2, Patience, "both publication events");
        var sent = receiver.Accepted.Where(e => e.Type == "publication").OrderBy(e => e.Json.GetProperty("offset").GetInt64()).ToArray();
        Assert.Equal(data, sent[0].Json.GetProperty("data").GetRawText());
        Assert.False(sent[0].Json.TryGetProperty("message", out _));
        Assert.Equal("AAH/", sent[1].Json.GetProperty("bytes").GetString());
    }
}

public sealed class WebhookTestsOnMemory(MemoryEngineUnderTest engine) : WebhookTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class WebhookTestsOnRedis(RedisEngineUnderTest engine) : WebhookTests(engine), IClassFixture<RedisEngineUnderTest>;
