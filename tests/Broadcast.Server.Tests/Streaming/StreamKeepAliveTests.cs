using System.Net.Sockets;
using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>Quiet streams get the transport's keep-alive, and a shutdown ends them with a last frame saying 1001.</summary>
public sealed class StreamKeepAliveTests
{
    private static readonly Dictionary<string, string?> FastKeepAlive = new() { ["Broadcast:KeepAliveInterval"] = "00:00:01" };

    [Fact]
    public async Task A_quiet_http_stream_gets_ping_lines()
    {
        await using var server = await RunningServer.StartAsync(FastKeepAlive);
        await using var stream = await HttpStreamClient.OpenAsync(server.BaseAddress);
        await stream.HelloAsync();
        var ping = await stream.ReceiveAsync(TimeSpan.FromSeconds(20), skipPings: false);
        Assert.Equal("""{"type":"ping"}""", ping.GetRawText());
    }

    [Fact]
    public async Task A_quiet_event_stream_gets_ping_comments_that_are_no_events()
    {
        await using var server = await RunningServer.StartAsync(FastKeepAlive);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /sse?channel=room HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n\r\n"));
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!received.ToString().Contains(": ping\n\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.NotEqual(0, read);
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        Assert.Contains("event: subscribed", received.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graceful_shutdown_ends_an_event_stream_with_a_close_event_saying_1001()
    {
        var server = await RunningServer.StartAsync();
        try
        {
            await using var sse = await SseClient.OpenAsync(server.BaseAddress, "/sse?channel=room");
            await sse.ReceiveAsync("welcome");
            await sse.ReceiveAsync("subscribed");
            var stopping = server.App.StopAsync();
            var close = await sse.ReceiveAsync("close");
            Assert.Equal(1001, close.Json.GetProperty("code").GetInt32());
            Assert.Equal("server shutting down", close.Json.GetProperty("reason").GetString());
            await sse.Completion.WaitAsync(TestClient.DefaultTimeout);
            await stopping;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
