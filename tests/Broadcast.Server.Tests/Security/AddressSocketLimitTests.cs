using System.Net;
using System.Net.Sockets;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>Sockets are counted per address from their first byte: silent ones from one address cannot fill the node.</summary>
public sealed class AddressSocketLimitTests
{
    /// <summary>
    /// Issue 11: 400 sockets from one address that never send a request filled MaxConnections until the
    /// handshake timeout closed them, again and again. With a handshake timeout too long to help, the sockets
    /// past the per-address limit (here its default: a quarter of 40, at least 16) are closed at once, and
    /// clients from other addresses connect and are served meanwhile.
    /// </summary>
    [Fact]
    public async Task Silent_sockets_from_one_address_are_cut_at_the_per_address_limit_and_other_addresses_are_served()
    {
        const int silent = 200;
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Limits:MaxConnections"] = "40",
            ["Broadcast:Limits:HandshakeTimeout"] = "00:05:00",
        });

        var sockets = new List<TcpClient>();
        try
        {
            for (var i = 0; i < silent; i++)
            {
                var tcp = new TcpClient(new IPEndPoint(IPAddress.Loopback, 0));
                await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
                sockets.Add(tcp);
            }

            // All but 16 are closed by the server without a byte of answer; the 16 stay open.
            var ends = sockets.Select(EndOfStreamAsync).ToList();
            await Eventually.TrueAsync(() => ends.Count(e => e.IsCompleted) >= silent - 16, TimeSpan.FromSeconds(20), "the sockets past the limit to be closed");
            Assert.Equal(silent - 16, ends.Count(e => e.IsCompleted));
            Assert.All(ends.Where(e => e.IsCompleted), e => Assert.Equal(0, e.Result));

            // The same address gets nothing more while it holds its 16; other addresses connect and talk.
            Assert.DoesNotContain("HTTP/1.1 101", await RawWebSocket.UpgradeResponseAsync(server.BaseAddress), StringComparison.Ordinal);
            await using var listener = await RawWebSocket.ConnectAsync(server.BaseAddress, localAddress: IPAddress.Parse("127.0.0.2"));
            await using var speaker = await RawWebSocket.ConnectAsync(server.BaseAddress, localAddress: IPAddress.Parse("127.0.0.3"));
            await server.WaitForConnectionCountAsync(2);
            await speaker.SendTextAsync("{\"message\":\"from another address\"}");
            var frame = await listener.ReceiveFrameAsync();
            Assert.NotNull(frame);
            Assert.Contains("from another address", frame.Text, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var tcp in sockets)
            {
                tcp.Dispose();
            }
        }

        // Once it lets go, the address is welcome again (the metrics are read from it too).
        await Eventually.TrueAsync(
            async () => (await RawWebSocket.UpgradeResponseAsync(server.BaseAddress)).StartsWith("HTTP/1.1 101", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            "the address to be admitted again");
        var scrape = await PrometheusScrape.FetchAsync(server.Http);
        Assert.True(scrape.Sum("broadcast_server_sockets_refused_total") >= silent - 16);
    }

    /// <summary>Completes with 0 when the server closes the connection (a reset counts as closed too).</summary>
    private static async Task<int> EndOfStreamAsync(TcpClient tcp)
    {
        try
        {
            return await tcp.GetStream().ReadAsync(new byte[1]);
        }
        catch (IOException)
        {
            return 0;
        }
        catch (ObjectDisposedException)
        {
            // Closed by the test at the end.
            return -1;
        }
    }
}
