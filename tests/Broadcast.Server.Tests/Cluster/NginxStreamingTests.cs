using System.Net;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// HTTP streaming behind deploy/'s nginx in front of three real nodes (Redis engine): nginx routes by client
/// address, so each client's stream and its POSTs reach the same node, and streams on different nodes talk
/// to each other through Redis. A POST sent to another node than its stream's is told so (421).
/// </summary>
public sealed class NginxStreamingTests
{
    [Fact]
    public async Task Behind_nginx_each_clients_posts_reach_its_streams_node_and_streams_on_different_nodes_chat()
    {
        await using var redis = await RedisServer.StartAsync();
        var nodes = new List<ServerProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(ServerProcess.Start(new Dictionary<string, string>
                {
                    ["Broadcast__Engine"] = "Redis",
                    ["Broadcast__Redis__Configuration"] = redis.Configuration,
                    ["Broadcast__ForwardedHeaders__KnownProxies__0"] = "127.0.0.1",
                    ["Broadcast__Auth__AnonymousSubscribe"] = "*",
                    ["Broadcast__Auth__AnonymousPublish"] = "*",
                    ["Logging__LogLevel__Default"] = "Warning",
                }));
            }

            var direct = new List<Uri>();
            foreach (var node in nodes)
            {
                direct.Add(await node.WaitUntilListeningAsync());
            }

            await using var nginx = await NginxProcess.StartAsync(direct);

            // Clients from distinct addresses land on different nodes; each one's POSTs follow its stream.
            var streams = new List<HttpStreamClient>();
            var nodeOf = new List<string>();
            try
            {
                for (var i = 0; i < 8; i++)
                {
                    var stream = await HttpStreamClient.OpenAsync(nginx.BaseAddress, source: IPAddress.Parse($"127.0.0.{20 + i}"));
                    streams.Add(stream);
                    nodeOf.Add((await stream.HelloAsync()).GetProperty("node").GetString()!);
                    await stream.SendAsync(new { type = "subscribe", id = "s", channel = "mesh" });
                    await stream.ReceiveAsync("subscribed");
                }

                Assert.True(nodeOf.Distinct().Count() >= 2, $"all eight clients landed on one node ({nodeOf[0]}): nothing crossed nodes");

                await using var watcher = await ExtendedClient.FromConnectedAsync(await TestClient.ConnectFromAsync(nginx.WebSocketUri, IPAddress.Parse("127.0.0.40"), o => o.AddSubProtocol("broadcast.v2")));
                await watcher.SubscribeAsync("mesh");
                for (var i = 0; i < streams.Count; i++)
                {
                    await streams[i].SendAsync(new { type = "publish", id = $"p{i}", channel = "mesh", message = $"from {i}" });
                }

                // Each stream gets its ack and every other's publication, whichever node holds it; the watcher all eight.
                var expected = Enumerable.Range(0, streams.Count).Select(i => $"from {i}").ToList();
                Assert.Equal(expected.Order(StringComparer.Ordinal), (await ReceiveMessagesAsync(watcher, streams.Count)).Order(StringComparer.Ordinal));
                for (var i = 0; i < streams.Count; i++)
                {
                    var got = new List<string>();
                    var acked = false;
                    while (!acked || got.Count < streams.Count - 1)
                    {
                        var frame = await streams[i].ReceiveAsync();
                        switch (frame.GetProperty("type").GetString())
                        {
                            case "ack":
                                Assert.Equal($"p{i}", frame.GetProperty("id").GetString());
                                acked = true;
                                break;
                            case "pub":
                                got.Add(frame.GetProperty("message").GetString()!);
                                break;
                            default:
                                Assert.Fail($"unexpected frame {frame}");
                                break;
                        }
                    }

                    Assert.Equal(expected.Where(m => m != $"from {i}").Order(StringComparer.Ordinal), got.Order(StringComparer.Ordinal));
                }

                // Straight to a node that does not hold the stream: refused as misdirected, nothing handled.
                using var misrouted = new HttpClient { BaseAddress = await NodeNotHoldingAsync(direct, nodeOf[0]) };
                using var post = new HttpRequestMessage(HttpMethod.Post, "/stream/send") { Content = new StringContent("""{"type":"publish","channel":"mesh","message":"misrouted"}""") };
                post.Headers.Add("Broadcast-Stream", streams[0].Token);
                using var answer = await misrouted.SendAsync(post);
                Assert.Equal(HttpStatusCode.MisdirectedRequest, answer.StatusCode);
                Assert.Equal("stream_elsewhere", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
            }
            finally
            {
                foreach (var stream in streams)
                {
                    await stream.DisposeAsync();
                }
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<List<string>> ReceiveMessagesAsync(ExtendedClient client, int count)
    {
        var messages = new List<string>();
        while (messages.Count < count)
        {
            messages.Add((await client.ReceiveAsync("pub")).GetProperty("message").GetString()!);
        }

        return messages;
    }

    /// <summary>A node's address whose id is not <paramref name="node"/> (asked through a stream of its own).</summary>
    private static async Task<Uri> NodeNotHoldingAsync(List<Uri> direct, string node)
    {
        foreach (var address in direct)
        {
            await using var probe = await HttpStreamClient.OpenAsync(address);
            if ((await probe.HelloAsync()).GetProperty("node").GetString() != node)
            {
                return address;
            }
        }

        throw new InvalidOperationException("every node says it is " + node);
    }
}
