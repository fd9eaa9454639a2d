using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>A stream whose client never reads is cut off as a slow consumer; everyone else goes on receiving.</summary>
public sealed class StreamSlowConsumerTests
{
    private static readonly string Payload = new('p', 8 * 1024);

    [Fact]
    public async Task An_http_stream_that_is_never_read_is_ended_with_a_1008_close_line_and_the_others_get_everything()
    {
        // A long close timeout: the stalled client can still read its last line once it is cut off.
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:OutboundQueueCapacity"] = "16",
            ["Broadcast:CloseTimeout"] = "00:01:00",
        });
        using var stalled = await StalledStream.OpenAsync(server.BaseAddress, "/stream", "\"maxPostBytes\"");
        using (var post = new HttpRequestMessage(HttpMethod.Post, "/stream/send")
        {
            Content = new StringContent("{\"type\":\"hello\"}\n{\"type\":\"subscribe\",\"id\":\"s\",\"channel\":\"room\"}"),
        })
        {
            post.Headers.Add("Broadcast-Stream", stalled.FirstValue("token"));
            using var accepted = await server.Http.SendAsync(post);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
        }

        await using var watcher = await ExtendedClient.ConnectAsync(server);
        await watcher.SubscribeAsync("room");
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        var stalledSession = server.Registry.All().Single(s => s.Frames is Broadcast.Server.Transport.HttpStreaming.ResponseStreamConnection);

        var sent = 0;
        while (!stalledSession.Frames.IsClosing)
        {
            Assert.True(sent < 5000, "the stalled stream was never cut off");
            await publisher.PublishAsync("room", $"{++sent}:{Payload}", $"p{sent}");
            Assert.Equal(sent, (await watcher.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
        }

        // It reads at last: what fit in the buffers, then the line that says why it ended.
        var rest = await stalled.ReadToEndAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("""{"type":"close","code":1008,"reason":"slow consumer: outbound queue overflow"}""", rest, StringComparison.Ordinal);
        await server.WaitForConnectionCountAsync(2);

        // The others were not held up: the next publication reaches the watcher at once.
        await publisher.PublishAsync("room", "after", "after");
        Assert.Equal("after", (await watcher.ReceiveAsync("pub")).GetProperty("message").GetString());
    }
}
