using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Engines;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// Webhooks with the engine on a Redis Cluster (3 masters): the channels' presence scripts run on whichever
/// master holds each channel's slot and the event stream on another, and every event still arrives once.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class WebhookRedisClusterTests(RedisClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Occupied_vacated_joins_leaves_and_publications_arrive_exactly_once_per_event_id_from_two_nodes()
    {
        var engine = new RedisClusterUnderTest(fixture.Cluster);
        await using var receiver = await WebhookReceiver.StartAsync();
        var keySpace = "w" + Guid.NewGuid().ToString("N")[..12];
        var settings = receiver.Settings(new Dictionary<string, string?> { ["Broadcast:Webhooks:PublicationChannels"] = "cl:*" });
        RunningServer[] nodes = [await engine.StartAsync(settings, keySpace), await engine.StartAsync(settings, keySpace)];
        try
        {
            // Enough channels that their slots fall on every master.
            const int Channels = 6;
            for (var i = 0; i < Channels; i++)
            {
                var channel = "cl:" + i;
                await using var onA = await ExtendedClient.ConnectAsync(nodes[0]);
                await using var onB = await ExtendedClient.ConnectAsync(nodes[1]);
                await Task.WhenAll(onA.SubscribeAsync(channel), onB.SubscribeAsync(channel));
                await Eventually.TrueAsync(() => receiver.Deduplicated(channel).Count(e => e.Type == "presence_join") == 2, Patience, "both joins of " + channel);
                await onA.PublishAsync(channel, "m" + i, "p" + i);
                Assert.Equal("m" + i, (await onB.ReceiveAsync("pub")).GetProperty("message").GetString());
            }

            await Eventually.TrueAsync(() => Enumerable.Range(0, Channels).All(i => receiver.Deduplicated("cl:" + i).Any(e => e.Type == "channel_vacated")), Patience, "every channel vacated");

            // Until both nodes are done (nothing pending, all they count as sent has arrived), so a duplicate would be counted.
            await receiver.WaitUntilNodesDoneAsync(Patience, nodes);

            var accepted = receiver.Accepted;
            Assert.Equal(accepted.Count, accepted.Select(e => e.Id).Distinct().Count());
            for (var i = 0; i < Channels; i++)
            {
                var events = receiver.Deduplicated("cl:" + i);
                Assert.Equal(
                    ["channel_occupied", "channel_vacated", "presence_join", "presence_join", "presence_leave", "presence_leave", "publication"],
                    events.Select(e => e.Type).Order(StringComparer.Ordinal));
                var publication = events.Single(e => e.Type == "publication").Json;
                Assert.Equal(("m" + i, 1L), (publication.GetProperty("message").GetString(), publication.GetProperty("offset").GetInt64()));
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

}
