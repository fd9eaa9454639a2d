using System.Net.Sockets;
using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>Abuse of the handshake and of fragmentation is cut off; normal clients never notice.</summary>
public class HandshakeAndFrameLimitTests
{
    /// <summary>The transport under test (<c>Broadcast:WebSocketStack</c>): here Kestrel's, kept behind the setting; the subclass runs the default one.</summary>
    protected virtual string? Transport => "Kestrel";

    private Task<RunningServer> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var merged = new Dictionary<string, string?>(settings ?? []);
        if (Transport is not null)
        {
            merged["Broadcast:WebSocketStack"] = Transport;
        }

        return RunningServer.StartAsync(merged);
    }

    [Fact]
    public async Task Many_empty_fragments_close_the_connection_with_1008_and_others_keep_receiving()
    {
        await using var server = await StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxFragmentsPerMessage"] = "100" });
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await using var raw = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await raw.SendFrameAsync(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"message\":"), fin: false);
        for (var i = 0; i < 500; i++)
        {
            try
            {
                await raw.SendFrameAsync(RawWebSocket.Continuation, ReadOnlyMemory<byte>.Empty, fin: false);
            }
            catch (IOException)
            {
                break; // closed under our feet: that is the point
            }
        }

        var close = await raw.ReceiveCloseAsync();
        Assert.NotNull(close);
        Assert.Equal(1008, close.CloseCode);
        Assert.Equal("too many fragments in one message", close.Text);

        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("unaffected");
        Assert.Equal("unaffected", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Compression_offered_by_a_client_is_not_negotiated_by_default()
    {
        await using var server = await StartAsync();
        var response = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
        Assert.StartsWith("HTTP/1.1 101", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_upgrade_request_with_thousands_of_headers_gets_a_4xx_and_the_server_keeps_serving()
    {
        await using var server = await StartAsync();
        var headers = new StringBuilder();
        for (var i = 0; i < 3000; i++)
        {
            headers.Append("X-Filler-").Append(i).Append(": x\r\n");
        }

        var response = await RawWebSocket.UpgradeResponseAsync(server.BaseAddress, headers.ToString());
        Assert.Matches("^HTTP/1.1 4[0-9][0-9]", response);
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_dripping_its_headers_is_cut_off_while_normal_handshakes_go_through()
    {
        await using var server = await StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:HandshakeTimeout"] = "00:00:02" });
        using var dripper = new TcpClient();
        await dripper.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = dripper.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /ws/events HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n"));

        // Meanwhile a normal client is not held up.
        Assert.StartsWith("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);

        // One header line now and then, never the blank line that ends them: the server gives up.
        var closed = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var buffer = new byte[1024];
        for (var line = 0; !closed && DateTime.UtcNow < deadline; line++)
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"X-Drip-{line}: x\r\n"));
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                var read = await stream.ReadAsync(buffer, wait.Token);
                closed = true; // the server answered (408) or closed (0 bytes)
                Assert.True(read == 0 || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 4", StringComparison.Ordinal));
            }
            catch (OperationCanceledException)
            {
                // Nothing yet; drip another line.
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the server kept a dripping handshake open for 30 s");
    }
}

/// <summary>The same abuse cases on the connection-level transport, which reads the handshake itself.</summary>
public sealed class ConnectionLevelHandshakeAndFrameLimitTests : HandshakeAndFrameLimitTests
{
    protected override string? Transport => "Connection";
}
