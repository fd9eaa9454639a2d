using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Connections;

/// <summary>SIGTERM: every client is told 1001 (going away), and the process exits cleanly.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task On_SIGTERM_clients_receive_1001_and_the_process_exits_with_code_zero()
    {
        await using var server = ServerProcess.Start();
        var address = await server.WaitUntilListeningAsync();
        var uri = new Uri($"ws://{address.Authority}/ws/events");
        await using var first = await TestClient.ConnectAsync(uri);
        await using var second = await TestClient.ConnectAsync(uri);

        // Both are registered once a message from one reaches the other.
        await first.SendMessageAsync("before shutdown");
        Assert.Equal("before shutdown", (await second.ReceiveJsonAsync()).GetProperty("message").GetString());

        server.Terminate();

        foreach (var client in new[] { first, second })
        {
            var (close, _) = await client.ReceiveUntilCloseAsync();
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            Assert.Equal("server shutting down", close.CloseDescription);
        }

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("Unhandled", server.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_never_reads_cannot_hold_up_the_exit_past_the_shutdown_timeout()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["Broadcast__ShutdownTimeout"] = "00:00:02",
            ["Broadcast__CloseTimeout"] = "00:00:01",
            ["Broadcast__Limits__PublishRatePerSecond"] = "0",
        });
        var address = await server.WaitUntilListeningAsync();
        var uri = new Uri($"ws://{address.Authority}/ws/events");

        // This client never reads: its socket buffers fill, then its queue, and its close frame can
        // never be written.
        using var stalled = new ClientWebSocket();
        stalled.Options.KeepAliveInterval = TimeSpan.Zero;
        await stalled.ConnectAsync(uri, CancellationToken.None);
        await using var publisher = await TestClient.ConnectAsync(uri);
        await using var watcher = await TestClient.ConnectAsync(uri);
        var payload = new string('x', 60_000);
        for (var i = 0; i < 150; i++)
        {
            await publisher.SendMessageAsync($"{i}:{payload}");
            Assert.StartsWith($"{i}:", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        server.Terminate();

        // The healthy client is told, and the process ends by the shutdown timeout (plus the time to
        // stop the host), not whenever the stalled client reads again.
        var (close, _) = await watcher.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(WebSocketState.Open, stalled.State);
        Assert.DoesNotContain("Unhandled", server.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Messages_queued_before_shutdown_are_delivered_before_the_close()
    {
        var server = await RunningServer.StartAsync();
        await using var publisher = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        for (var i = 0; i < 200; i++)
        {
            await publisher.SendMessageAsync($"m{i}");
        }

        // Stop once the server has taken the last message in (the sender gets nothing back,
        // so watch the receiver's progress instead of sleeping).
        Assert.Equal("m0", (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());
        var stopping = server.DisposeAsync();

        var (close, before) = await receiver.ReceiveUntilCloseAsync();
        await stopping;
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        var texts = before.Select(f => f.Json.GetProperty("message").GetString()).ToList();
        Assert.Equal(Enumerable.Range(1, texts.Count).Select(i => $"m{i}"), texts);
    }

    [Fact]
    public async Task Upgrades_during_the_drain_are_refused_with_503()
    {
        await using var server = await RunningServer.StartAsync();
        server.App.Services.GetRequiredService<Broadcast.Server.Connections.ShutdownDrain>().Begin();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/ws/events");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("shutting_down", (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("code").GetString());
    }
}
