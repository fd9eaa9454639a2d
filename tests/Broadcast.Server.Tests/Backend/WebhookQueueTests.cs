using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// The memory engine's webhook queue is bounded (Broadcast:Webhooks:QueueCapacity): what does not fit is dropped
/// and counted, and the rest is delivered. (On Redis the events leave the process for the stream at once.)
/// </summary>
public sealed class WebhookQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_full_queue_drops_new_events_counted_as_failed_and_delivers_what_it_kept()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = receiver.Backend.Handler;
        receiver.Backend.Handler = async (context, request) =>
        {
            // Every request waits (retries after a timeout too): the delivery is busy, and what comes next fills the queue.
            await held.Task;

            await holding(context, request);
        };
        await using var server = await RunningServer.StartAsync(receiver.Settings(new Dictionary<string, string?>
        {
            ["Broadcast:Webhooks:QueueCapacity"] = "2",
            ["Broadcast:Webhooks:MaxBatchWait"] = "00:00:00",
            ["Broadcast:Webhooks:MaxBatchSize"] = "1",
            ["Broadcast:Webhooks:Events"] = "channel_occupied",
        }));
        await using var first = await ExtendedClient.ConnectAsync(server);
        await first.SubscribeAsync("full:0");
        await Eventually.TrueAsync(() => receiver.Backend.Requests.Count >= 1, Patience, "the first request to be held");
        await using var client = await ExtendedClient.ConnectAsync(server);
        for (var i = 1; i <= 6; i++)
        {
            await client.SubscribeAsync("full:" + i);
        }

        // Two of the six fit; four were dropped, and say so.
        await Eventually.TrueAsync(
            async () => (await PrometheusScrape.FetchAsync(server.Http)).Sum("broadcast_server_webhook_events_failed_total", ("broadcast_reason", "queue_full")) == 4,
            Patience,
            "four events counted as dropped");
        held.SetResult();
        // (By id: on a loaded machine a held attempt may time out and be sent again, at least once.)
        await Eventually.TrueAsync(() => receiver.Accepted.Select(e => e.Id).Distinct().Count() == 3, Patience, "the held event and the two kept");
        Assert.Equal(["full:0", "full:1", "full:2"], receiver.Accepted.Select(e => e.Channel).Distinct());

        // The server goes on: a new event is delivered.
        await client.SubscribeAsync("full:7");
        await Eventually.TrueAsync(() => receiver.Accepted.Any(e => e.Channel == "full:7"), Patience, "a later event");
    }
}
