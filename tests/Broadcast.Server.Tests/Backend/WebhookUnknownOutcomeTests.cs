using Broadcast.Server.Engines;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// A presence join or leave whose Redis answer never came (a stall with the script sent: Redis runs it when it
/// wakes up, or never): the node asks again until Redis says what it decided, and reports that once. Members
/// live ten minutes here, so nothing but that (no expiry, no sweep) can be what reports them.
/// </summary>
public sealed class WebhookUnknownOutcomeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string?> Settings(RedisServer redis, WebhookReceiver receiver) => receiver.Settings(new Dictionary<string, string?>
    {
        ["Broadcast:Engine"] = "Redis",
        ["Broadcast:Redis:Configuration"] = redis.Configuration,
        ["Broadcast:Redis:OperationTimeout"] = "00:00:00.500",
        ["Broadcast:Redis:PresenceTtl"] = "00:10:00",
    });

    [Fact]
    public async Task A_leave_sent_into_a_Redis_stall_is_reported_once_when_Redis_answers_again()
    {
        const string Channel = "stall:leave";
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var logs = new RecordingLoggerProvider();
        await using var node = await RunningServer.StartAsync(Settings(redis, receiver), builder => builder.Logging.AddProvider(logs));
        var client = await ExtendedClient.ConnectAsync(node);
        await client.SubscribeAsync(Channel, presence: true);
        await Eventually.TrueAsync(() => Types(receiver, Channel).SequenceEqual(["channel_occupied", "presence_join"]), Patience, "the occupied and join events");

        redis.Pause();
        try
        {
            await client.DisposeAsync();
            await Eventually.TrueAsync(
                () => logs.Entries.Any(entry => entry.Text.Contains("during unsubscribe on channel " + Channel, StringComparison.Ordinal)),
                Patience,
                "the leave to time out");
        }
        finally
        {
            redis.Resume();
        }

        await Eventually.TrueAsync(() => Types(receiver, Channel).Count == 4, Patience, "the leave and vacated events");
        await receiver.WaitUntilNodesDoneAsync(Patience, node);
        Assert.Equal(["channel_occupied", "presence_join", "presence_leave", "channel_vacated"], Types(receiver, Channel));
    }

    [Fact]
    public async Task A_join_sent_into_a_Redis_stall_is_reported_once_and_a_leave_made_while_it_settles_comes_after_it()
    {
        const string Channel = "stall:join";
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var node = await RunningServer.StartAsync(Settings(redis, receiver));
        var presence = node.App.Services.GetRequiredService<IPresenceEngine>();
        var stays = new PresenceMember("test:stays", "p_stays", "stays", null);
        var leaves = new PresenceMember("test:leaves", "p_leaves", "leaves", null);

        redis.Pause();
        try
        {
            await Assert.ThrowsAnyAsync<EngineUnavailableException>(() => presence.JoinAsync(Channel, stays, CancellationToken.None).AsTask());
            await Assert.ThrowsAnyAsync<EngineUnavailableException>(() => presence.JoinAsync(Channel, leaves, CancellationToken.None).AsTask());

            // Its join is not settled yet: the leave waits for it, so it is not decided before the join it undoes.
            Assert.Equal(PresenceChange.Of(false, false), await presence.LeaveAsync(Channel, leaves, CancellationToken.None));
        }
        finally
        {
            redis.Resume();
        }

        await Eventually.TrueAsync(() => Types(receiver, Channel).Count(type => type == "presence_leave") == 1, Patience, "both joins and the leave");
        await receiver.WaitUntilNodesDoneAsync(Patience, node);
        var events = receiver.Deduplicated(Channel);
        Assert.Single(events, e => e.Type == "channel_occupied");
        Assert.Equal(["test:leaves", "test:stays"], events.Where(e => e.Type == "presence_join").Select(Client).Order(StringComparer.Ordinal));
        Assert.Equal(["test:leaves"], events.Where(e => e.Type == "presence_leave").Select(Client));
        Assert.DoesNotContain(events, e => e.Type == "channel_vacated");
        var leaveJoined = events.FindIndex(e => e.Type == "presence_join" && Client(e) == "test:leaves");
        Assert.True(leaveJoined < events.FindIndex(e => e.Type == "presence_leave"), "the leave was reported before its join");
        Assert.Equal(["stays"], (await presence.GetPresenceAsync(Channel, CancellationToken.None)).Select(m => m.Name));
    }

    private static string Client(ReceivedEvent e) => e.Json.GetProperty("member").GetProperty("client").GetString()!;


    private static List<string> Types(WebhookReceiver receiver, string channel) => [.. receiver.Deduplicated(channel).Select(e => e.Type)];

}
