using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// Where tokens are required, authentication happens on the upgrade request itself: a client that never
/// authenticates never gets a WebSocket, and cannot hold a connection open past the handshake deadline.
/// </summary>
public sealed class UnauthenticatedClientTests
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Reads until the server closes the connection; returns what it answered (possibly nothing).</summary>
    private static async Task<string> WaitForServerToHangUpAsync(NetworkStream stream, TimeSpan timeout)
    {
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // Reset instead of FIN: closed all the same.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server kept an unauthenticated connection open for {timeout.TotalSeconds} s; it answered: '{answer}'");
        }

        return answer.ToString();
    }

    private static async Task<TcpClient> OpenAsync(RunningServer server, string? firstBytes)
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        if (firstBytes is not null)
        {
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(firstBytes));
        }

        return client;
    }

    [Fact]
    public async Task With_tokens_required_a_client_that_never_authenticates_is_cut_off_after_the_handshake_deadline_and_others_are_unaffected()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Auth:HmacSecret"] = TestTokens.Secret,
            ["Broadcast:Auth:Required"] = "true",
            ["Broadcast:Limits:HandshakeTimeout"] = "00:00:02",
        });
        var token = TestTokens.Hs256(TestTokens.Claims("watcher"));
        await using var publisher = await TestClient.ConnectAsync(server.WebSocketUri, o => o.SetRequestHeader("Authorization", "Bearer " + token));
        await using var watcher = await TestClient.ConnectAsync(server.WebSocketUri, o => o.SetRequestHeader("Authorization", "Bearer " + token));
        await server.WaitForConnectionCountAsync(2);

        // Three ways of never authenticating: connect and say nothing; start the upgrade and never finish
        // it (the token would come in a header that never arrives); finish it without a token.
        var started = Stopwatch.StartNew();
        using var silent = await OpenAsync(server, firstBytes: null);
        using var unfinished = await OpenAsync(server, $"GET /ws/events HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nUpgrade: websocket\r\n");
        using var tokenless = await OpenAsync(server, $"GET /ws/events HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Convert.ToBase64String(new byte[16])}\r\n\r\n");

        var refused = await WaitForTokenlessAnswerAsync(tokenless.GetStream());
        Assert.StartsWith("HTTP/1.1 401", refused, StringComparison.Ordinal);
        Assert.Contains("token_required", refused, StringComparison.Ordinal);

        // Generous bounds for a loaded machine, far below Kestrel's own idle default (130 s).
        var limit = HandshakeTimeout + TimeSpan.FromSeconds(20);
        var silentAnswer = await WaitForServerToHangUpAsync(silent.GetStream(), limit);
        var unfinishedAnswer = await WaitForServerToHangUpAsync(unfinished.GetStream(), limit);
        Assert.DoesNotContain("101", silentAnswer, StringComparison.Ordinal);
        Assert.DoesNotContain("101", unfinishedAnswer, StringComparison.Ordinal);
        Assert.True(started.Elapsed >= HandshakeTimeout - TimeSpan.FromMilliseconds(500), $"cut off after {started.Elapsed}, before the deadline");

        // None of them was ever counted as a connection, and the authenticated clients were not disturbed.
        Assert.Equal(2, server.Registry.Count);
        await publisher.SendMessageAsync("still served");
        Assert.Equal("still served", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
        Assert.Equal(WebSocketState.Open, watcher.Socket.State);
    }

    /// <summary>The 401 arrives at once; the connection may then stay open for keep-alive, which is fine.</summary>
    private static async Task<string> WaitForTokenlessAnswerAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var answer = new StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!answer.ToString().Contains("token_required", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, deadline.Token);
            if (read == 0)
            {
                break;
            }

            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }
}
