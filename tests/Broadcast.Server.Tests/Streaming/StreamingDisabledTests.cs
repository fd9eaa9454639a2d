using System.Net;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary><c>Broadcast:Streaming:Enabled=false</c> leaves WebSocket as the only transport.</summary>
public sealed class StreamingDisabledTests
{
    [Fact]
    public async Task Turned_off_the_streaming_paths_do_not_exist_and_websocket_is_unchanged()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Streaming:Enabled"] = "false" });
        var (stream, streamAnswer) = await HttpStreamClient.TryOpenAsync(server.BaseAddress);
        Assert.Null(stream);
        Assert.Equal(HttpStatusCode.NotFound, streamAnswer.StatusCode);
        var (sse, sseAnswer) = await SseClient.TryOpenAsync(server.BaseAddress, "/sse?channel=room");
        Assert.Null(sse);
        Assert.Equal(HttpStatusCode.NotFound, sseAnswer.StatusCode);
        using var post = await server.Http.PostAsync("/stream/send", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);

        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await a.SendMessageAsync("still here");
        Assert.Equal("still here", (await b.ReceiveJsonAsync()).GetProperty("message").GetString());
    }
}
