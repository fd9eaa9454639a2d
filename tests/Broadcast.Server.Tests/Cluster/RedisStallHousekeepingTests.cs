using System.Net;
using System.Text.Json;
using Broadcast.Testing;
using Microsoft.Extensions.Logging;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// What a node does around a Redis stall besides answering requests (issue #12, noticed along the way): its
/// log stays readable while readiness is polled, and a connection that closes is let go in about one
/// operation timeout, however many channels it had.
/// </summary>
public sealed class RedisStallHousekeepingTests
{
    private static Dictionary<string, string?> Settings(RedisServer redis) => new()
    {
        ["Broadcast:Engine"] = "Redis",
        ["Broadcast:Redis:Configuration"] = redis.Configuration,
        ["Broadcast:Redis:OperationTimeout"] = "00:00:01",
    };

    [Fact]
    public async Task Readiness_polled_through_a_stall_answers_503_every_time_but_logs_the_failure_once_not_once_per_poll()
    {
        const int polls = 20;
        await using var redis = await RedisServer.StartAsync();
        var logs = new RecordingLoggerProvider();
        await using var node = await RunningServer.StartAsync(Settings(redis), builder => builder.Logging.AddProvider(logs));
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/ready")).StatusCode);
        var before = logs.Entries.Count;

        HttpStatusCode[] answers;
        redis.Pause();
        try
        {
            // A busy load balancer: many probes at once, each failing after the operation timeout.
            answers = await Task.WhenAll(Enumerable.Range(0, polls).Select(async _ => (await node.Http.GetAsync("/ready")).StatusCode));
        }
        finally
        {
            redis.Resume();
        }

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        var warnings = logs.Entries.Skip(before).Where(entry => entry.Level >= LogLevel.Warning).ToList();
        Assert.True(warnings.Count is >= 1 and <= 2, string.Join("\n", warnings.Select(w => $"{w.Category}: {w.Text}")));
        await Eventually.TrueAsync(async () => (await node.Http.GetAsync("/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readiness to come back");
    }

    [Fact]
    public async Task A_connection_with_many_channels_that_closes_during_a_stall_gets_its_close_reply_in_about_one_operation_timeout()
    {
        const int channels = 60;
        await using var redis = await RedisServer.StartAsync();
        await using var node = await RunningServer.StartAsync(Settings(redis));
        await using var client = await RawWebSocket.ConnectAsync(node.BaseAddress, extraHeaders: "Sec-WebSocket-Protocol: broadcast.v2\r\n");
        await client.SendTextAsync("""{"type":"hello"}""");
        Assert.Equal("welcome", JsonDocument.Parse((await client.ReceiveFrameAsync())!.Payload).RootElement.GetProperty("type").GetString());
        for (var i = 0; i < channels; i++)
        {
            await client.SendTextAsync(JsonSerializer.Serialize(new { type = "subscribe", id = $"s{i}", channel = $"room-{i}", presence = true }));
        }

        for (var subscribed = 0; subscribed < channels;)
        {
            var frame = JsonDocument.Parse((await client.ReceiveFrameAsync())!.Payload).RootElement;
            if (frame.GetProperty("type").GetString() == "subscribed")
            {
                subscribed++;
            }
        }

        redis.Pause();
        try
        {
            // Each channel's leave waits for Redis up to the operation timeout (1 s): one after another that
            // would be a minute before the close is answered; side by side it is about one timeout.
            await client.SendCloseAsync(1000);
            var close = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(1000, close?.CloseCode);
        }
        finally
        {
            redis.Resume();
        }
    }
}
