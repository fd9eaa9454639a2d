using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// Several nodes behave like one server to every client: on one Redis, on three Redis shards, and on a Redis
/// Cluster of three masters (the subclasses below).
/// </summary>
public abstract class ClusterTests(EngineUnderTest redis)
{
    private static string NewKeySpace() => "c" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_publication_on_one_node_reaches_subscribers_on_the_others_in_order_but_not_its_sender()
    {
        var keySpace = NewKeySpace();
        await using var nodeA = await redis.StartAsync(keySpace: keySpace);
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var nodeC = await redis.StartAsync(keySpace: keySpace);
        await using var sender = await ExtendedClient.ConnectAsync(nodeA);
        await using var onB = await ExtendedClient.ConnectAsync(nodeB);
        await using var onC = await ExtendedClient.ConnectAsync(nodeC);
        await sender.SubscribeAsync("room");
        await onB.SubscribeAsync("room");
        await onC.SubscribeAsync("room");

        const int count = 200;
        for (var i = 1; i <= count; i++)
        {
            await sender.SendAsync(new { type = "publish", id = $"m{i}", channel = "room", message = $"message {i}" });
        }

        foreach (var receiver in new[] { onB, onC })
        {
            for (var i = 1; i <= count; i++)
            {
                var pub = await receiver.ReceiveAsync("pub");
                Assert.Equal(i, pub.GetProperty("offset").GetInt64());
                Assert.Equal($"message {i}", pub.GetProperty("message").GetString());
                Assert.Equal(sender.PublicId, pub.GetProperty("origin").GetString());
            }
        }

        // The sender got its acks and nothing else: no echo of its own publications from any node.
        for (var i = 1; i <= count; i++)
        {
            Assert.Equal(i, (await sender.ReceiveAsync("ack")).GetProperty("offset").GetInt64());
        }

        await onC.PublishAsync("room", "from C", "c1");
        Assert.Equal("from C", (await sender.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Legacy_clients_on_different_nodes_talk_as_on_one_server()
    {
        var keySpace = NewKeySpace();
        await using var nodeA = await redis.StartAsync(keySpace: keySpace);
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var onA = await nodeA.ConnectAsync();
        await using var onB = await nodeB.ConnectAsync();
        await nodeA.WaitForConnectionCountAsync(1);
        await nodeB.WaitForConnectionCountAsync(1);

        await onA.SendMessageAsync("hello from A");
        var frame = await onB.ReceiveJsonAsync();
        Assert.Equal("hello from A", frame.GetProperty("message").GetString());
        Assert.Equal(["message", "timestamp"], frame.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        await onB.SendMessageAsync("hello from B");
        Assert.Equal("hello from B", (await onA.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Presence_and_idempotent_retries_span_nodes()
    {
        var keySpace = NewKeySpace();
        await using var nodeA = await redis.StartAsync(keySpace: keySpace);
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var watcher = await ExtendedClient.ConnectAsync(nodeA, name: "watcher");
        await watcher.SubscribeAsync("room", presence: true);
        await using var visitor = await ExtendedClient.ConnectAsync(nodeB, name: "visitor");
        await visitor.SubscribeAsync("room");

        var join = await watcher.ReceiveAsync("join");
        Assert.Equal("visitor", join.GetProperty("name").GetString());

        await visitor.SendAsync(new { type = "presence", id = "p", channel = "room" });
        var presence = await visitor.ReceiveAsync("presence");
        Assert.Equal(2, presence.GetProperty("count").GetInt32());

        // The same publish retried through the other node, as after a reconnect elsewhere.
        var first = await visitor.PublishAsync("room", "once", "same-id");
        await using var movedVisitor = await ExtendedClient.ConnectAsync(nodeA, session: visitor.Session);
        var retry = await movedVisitor.PublishAsync("room", "once", "same-id");
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
        Assert.Equal(first.GetProperty("offset").GetInt64(), retry.GetProperty("offset").GetInt64());
        Assert.Equal("once", (await watcher.ReceiveAsync("pub")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task After_kill_9_of_its_node_a_client_resumes_on_other_nodes_without_loss()
    {
        const int total = 600;
        var keySpace = NewKeySpace();
        await using var doomed = ServerProcess.Start(new Dictionary<string, string>(redis.Environment(keySpace))
        {
            ["Logging__LogLevel__Default"] = "Warning",
            // Anonymous clients get only "events" by default; this test uses its own channel.
            ["Broadcast__Auth__AnonymousSubscribe"] = "*",
            ["Broadcast__Auth__AnonymousPublish"] = "*",
        });
        var doomedAddress = await doomed.WaitUntilListeningAsync();
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var nodeC = await redis.StartAsync(keySpace: keySpace);
        await using var publisher = await ExtendedClient.ConnectAsync(nodeB);

        var subscriber = await ExtendedClient.ConnectAsync(new Uri($"ws://{doomedAddress.Authority}/ws/events"));
        var session = subscriber.Session;
        var epoch = (await subscriber.SubscribeAsync("soak")).GetProperty("epoch").GetString()!;

        // Publishes with acks, paced by them, for the whole test.
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= total; i++)
            {
                await publisher.PublishAsync("soak", $"m{i}", $"id-{i}");
            }
        });

        var received = new List<long>();
        var random = new Random(42);
        var nodes = new[] { nodeB, nodeC };
        var resumes = 0;
        try
        {
            while (received.Count < total)
            {
                var budget = resumes == 0 ? 100 : random.Next(5, 60);
                try
                {
                    for (var i = 0; i < budget && received.Count < total; i++)
                    {
                        var pub = await subscriber.ReceiveAsync("pub");
                        received.Add(pub.GetProperty("offset").GetInt64());
                    }
                }
                catch (InvalidOperationException)
                {
                    // Its node died under it (the connection ended without a close frame).
                }

                if (received.Count >= total)
                {
                    break;
                }

                if (resumes == 0)
                {
                    await doomed.KillAsync(); // kill -9: no drain, no goodbye
                }
                else
                {
                    subscriber.Client.Socket.Abort();
                }

                await subscriber.DisposeAsync();
                subscriber = await ExtendedClient.ConnectAsync(nodes[resumes % 2], session: session);
                var reply = await subscriber.SubscribeAsync("soak", since: new { epoch, offset = received.Count == 0 ? 0 : received[^1] });
                Assert.True(reply.GetProperty("recovered").GetBoolean(), reply.ToString());
                resumes++;
            }
        }
        finally
        {
            await subscriber.DisposeAsync();
        }

        await publishing;
        Assert.True(resumes >= 5, $"only {resumes} resumes");
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), received);
    }

    [Fact]
    public async Task The_admin_view_of_any_node_lists_every_node_of_the_cluster()
    {
        var keySpace = NewKeySpace();
        await using var nodeA = await redis.StartAsync(new Dictionary<string, string?> { ["Broadcast:Admin:AllowAnonymous"] = "true" }, keySpace: keySpace);
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var onB = await nodeB.ConnectAsync();
        await nodeB.WaitForConnectionCountAsync(1);

        System.Text.Json.JsonElement overview = default;
        await Eventually.TrueAsync(
            async () =>
            {
                overview = await nodeA.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/admin/overview");
                var nodes = overview.GetProperty("nodes").EnumerateArray().ToList();
                return nodes.Count == 2 && nodes.Any(n => n.GetProperty("connections").GetInt32() == 1);
            },
            TimeSpan.FromSeconds(30),
            "node A's admin view to list both nodes with B's connection");
        Assert.Equal(overview.GetProperty("node").GetProperty("id").GetString(), overview.GetProperty("nodes")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_node_keeps_its_subscription_when_the_last_subscriber_leaves_as_a_new_one_arrives()
    {
        var keySpace = NewKeySpace();
        await using var nodeA = await redis.StartAsync(keySpace: keySpace);
        await using var nodeB = await redis.StartAsync(keySpace: keySpace);
        await using var publisher = await ExtendedClient.ConnectAsync(nodeB);
        for (var round = 0; round < 20; round++)
        {
            var leaving = await ExtendedClient.ConnectAsync(nodeA);
            await leaving.SubscribeAsync("churn");
            var arriving = await ExtendedClient.ConnectAsync(nodeA);
            var leavingTask = leaving.DisposeAsync().AsTask();
            await arriving.SubscribeAsync("churn");
            await leavingTask;

            var message = $"round {round}";
            await publisher.PublishAsync("churn", message, $"r{round}");
            Assert.Equal(message, (await arriving.ReceiveAsync("pub")).GetProperty("message").GetString());
            await arriving.DisposeAsync();
        }
    }
}

public sealed class ClusterTestsOnOneRedis(RedisEngineUnderTest redis) : ClusterTests(redis), IClassFixture<RedisEngineUnderTest>;

public sealed class ClusterTestsOnShards(RedisShardsUnderTest redis) : ClusterTests(redis), IClassFixture<RedisShardsUnderTest>;

[Collection(Engines.RedisClusterCollection.Name)]
public sealed class ClusterTestsOnRedisCluster(Engines.RedisClusterFixture fixture) : ClusterTests(new RedisClusterUnderTest(fixture.Cluster));
