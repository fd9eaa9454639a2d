using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// deploy/'s topology as people run it: Debian's nginx with deploy/nginx/nginx.conf in front of three real
/// nodes (processes, Redis engine, a real redis-server), nginx their one known proxy. Through nginx: chat in
/// both protocols, a resume after the client's node is killed with kill -9, per-address limits that see each
/// client's address (127.0.0.2, 127.0.0.3, … as distinct sources), and the web app.
/// </summary>
public sealed class NginxTopologyTests
{
    private static IPAddress Source(int last) => IPAddress.Parse($"127.0.0.{last}");

    [Fact]
    public async Task Behind_nginx_three_nodes_chat_resume_after_a_crash_limit_each_client_and_serve_the_web_app()
    {
        var webApp = Path.Combine(NginxProcess.RepositoryRoot(), "web", "dist");
        Assert.True(File.Exists(Path.Combine(webApp, "index.html")), "web/dist is not built (the .NET build builds it unless -p:SkipWebApp=true)");
        await using var redis = await RedisServer.StartAsync();
        var nodes = new List<ServerProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(ServerProcess.Start(new Dictionary<string, string>
                {
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                    ["Broadcast__Engine"] = "Redis",
                    ["Broadcast__Redis__Configuration"] = redis.Configuration,
                    ["Broadcast__ForwardedHeaders__KnownProxies__0"] = "127.0.0.1",
                    ["Broadcast__Limits__MaxConnectionsPerAddress"] = "2",
                    ["Broadcast__Auth__AnonymousSubscribe"] = "*",
                    ["Broadcast__Auth__AnonymousPublish"] = "*",
                    ["Broadcast__WebAppPath"] = webApp,
                    ["Logging__LogLevel__Default"] = "Warning",
                }));
            }

            var direct = new List<Uri>();
            foreach (var node in nodes)
            {
                direct.Add(await node.WaitUntilListeningAsync());
            }

            await using var nginx = await NginxProcess.StartAsync(direct);
            using var http = new HttpClient { BaseAddress = nginx.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

            await ChatInBothProtocolsAsync(nginx);
            await LimitsSeeEachClientAsync(nginx, direct);
            await ServesTheWebAppAsync(http);
            await ResumesAfterKill9Async(nginx, nodes, direct);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task ChatInBothProtocolsAsync(NginxProcess nginx)
    {
        await using var legacy = await TestClient.ConnectFromAsync(nginx.WebSocketUri, Source(5));
        await using var extended = await ExtendedClient.FromConnectedAsync(await TestClient.ConnectFromAsync(nginx.WebSocketUri, Source(6), o => o.AddSubProtocol("broadcast.v2")));
        await extended.SubscribeAsync("events");

        await legacy.SendMessageAsync("legacy through nginx");
        var pub = await extended.ReceiveAsync("pub");
        Assert.Equal("legacy through nginx", pub.GetProperty("message").GetString());

        await extended.PublishAsync("events", "v2 through nginx", "p1");
        var frame = await legacy.ReceiveJsonAsync();
        Assert.Equal("v2 through nginx", frame.GetProperty("message").GetString());
        Assert.Equal(["message", "timestamp"], frame.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    private static async Task LimitsSeeEachClientAsync(NginxProcess nginx, List<Uri> direct)
    {
        // MaxConnectionsPerAddress=2 per client address, although every socket a node sees comes from nginx.
        await AllClosedAsync(direct);
        var before = await ConnectionCountsAsync(direct);
        await using var first = await RawWebSocket.ConnectAsync(nginx.BaseAddress, localAddress: Source(2));
        await using var second = await RawWebSocket.ConnectAsync(nginx.BaseAddress, localAddress: Source(2));
        var third = await RawWebSocket.UpgradeResponseAsync(nginx.BaseAddress, localAddress: Source(2));
        Assert.StartsWith("HTTP/1.1 429", third, StringComparison.Ordinal);
        var full = await NodeThatGrewAsync(direct, before, by: 2);

        // Other clients on that same node are still let in: it counts them apart from 127.0.0.2 (seen as
        // 127.0.0.1, nginx's address, they would all be one). nginx hashes addresses onto nodes, so sources are
        // tried until one lands there.
        var others = new List<RawWebSocket>();
        try
        {
            var landed = false;
            for (var last = 3; last < 40 && !landed; last++)
            {
                var counts = await ConnectionCountsAsync(direct);
                others.Add(await RawWebSocket.ConnectAsync(nginx.BaseAddress, localAddress: Source(last)));
                landed = await NodeThatGrewAsync(direct, counts, by: 1) == full;
            }

            Assert.True(landed, "no other client address landed on the node 127.0.0.2 filled");
        }
        finally
        {
            foreach (var other in others)
            {
                await other.DisposeAsync();
            }
        }

        // The page's own check through nginx tells the same.
        using var check = SourceAddress.Http(nginx.BaseAddress, Source(2));
        using var refused = await check.GetAsync("/api/connect-check");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("too_many_connections", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    /// <summary>Waits until the earlier steps' connections are gone, so counts tell where a new one went.</summary>
    private static Task AllClosedAsync(List<Uri> direct) =>
        Eventually.TrueAsync(async () => (await ConnectionCountsAsync(direct)).All(n => n == 0), TimeSpan.FromSeconds(20), "every node to count no connections");

    /// <summary>The node whose connection count grew by <paramref name="by"/> since <paramref name="before"/>.</summary>
    private static async Task<int> NodeThatGrewAsync(List<Uri> direct, int[] before, int by)
    {
        var node = -1;
        await Eventually.TrueAsync(
            async () =>
            {
                var now = await ConnectionCountsAsync(direct);
                node = Enumerable.Range(0, direct.Count).FirstOrDefault(i => now[i] - before[i] == by, -1);
                return node >= 0;
            },
            TimeSpan.FromSeconds(20),
            $"a node to count {by} more connection(s)");
        return node;
    }

    private static async Task ServesTheWebAppAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.ParseAdd("text/html");
        using var page = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("data-testid=\"app-title\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var check = await http.GetAsync("/api/connect-check");
        Assert.True((await check.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ok").GetBoolean());
    }

    private static async Task ResumesAfterKill9Async(NginxProcess nginx, List<ServerProcess> nodes, List<Uri> direct)
    {
        await AllClosedAsync(direct);
        var before = await ConnectionCountsAsync(direct);
        var subscriber = await ConnectThroughAsync(nginx, Source(4));
        var epoch = (await subscriber.SubscribeAsync("crash")).GetProperty("epoch").GetString()!;
        var doomed = await NodeThatGrewAsync(direct, before, by: 1);

        await using var publisher = await ExtendedClient.ConnectAsync(new Uri($"ws://{direct[(doomed + 1) % 3].Authority}/ws/events"));
        await publisher.PublishAsync("crash", "m1", "c1");
        Assert.Equal(1, (await subscriber.ReceiveAsync("pub")).GetProperty("offset").GetInt64());

        await nodes[doomed].KillAsync(); // kill -9: no drain, no goodbye
        await Assert.ThrowsAnyAsync<Exception>(() => subscriber.ReceiveAsync("pub"));
        await subscriber.DisposeAsync();
        await publisher.PublishAsync("crash", "m2", "c2");
        await publisher.PublishAsync("crash", "m3", "c3");

        // Through nginx again, from the same address: nginx finds the dead node and takes another.
        await using var resumed = await ConnectThroughAsync(nginx, Source(4), subscriber.Session);
        var reply = await resumed.SubscribeAsync("crash", since: new { epoch, offset = 1 });
        Assert.True(reply.GetProperty("recovered").GetBoolean(), reply.ToString());
        Assert.Equal("m2", (await resumed.ReceiveAsync("pub")).GetProperty("message").GetString());
        Assert.Equal("m3", (await resumed.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    private static async Task<ExtendedClient> ConnectThroughAsync(NginxProcess nginx, IPAddress source, string? session = null) =>
        await ExtendedClient.FromConnectedAsync(await TestClient.ConnectFromAsync(nginx.WebSocketUri, source, o => o.AddSubProtocol("broadcast.v2")), session);

    private static async Task<int[]> ConnectionCountsAsync(List<Uri> nodes)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var counts = new int[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            var health = await http.GetFromJsonAsync<JsonElement>(new Uri(nodes[i], "/health"));
            counts[i] = health.GetProperty("connections").GetInt32();
        }

        return counts;
    }
}
