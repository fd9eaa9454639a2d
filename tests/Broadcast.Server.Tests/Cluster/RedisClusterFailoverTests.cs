using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Server.Tests.Engines;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// A master of the Redis Cluster dies (kill -9) and its replica takes over, under nodes serving clients
/// (issue #12). With the replica in step nothing is lost; with a replica that lagged, the acknowledged
/// publications it never received are gone, and the clients must be told so (a new epoch, <c>unrecovered</c>),
/// never handed the same offsets again with other content. Each test leaves the shared cluster whole again.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterFailoverTests(RedisClusterFixture fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private readonly RedisClusterUnderTest _redis = new(fixture.Cluster);

    [Fact]
    public async Task A_failover_to_a_lagging_replica_starts_a_new_epoch_announced_to_subscribers_and_never_reuses_an_offset()
    {
        var keySpace = "f" + Guid.NewGuid().ToString("N")[..12];
        var channel = "lag" + Guid.NewGuid().ToString("N")[..8];
        var (master, replica) = await fixture.Cluster.NodesForAsync(channel);
        try
        {
            await using var nodeA = await _redis.StartAsync(keySpace: keySpace);
            await using var nodeB = await _redis.StartAsync(keySpace: keySpace);
            await using var publisher = await ExtendedClient.ConnectAsync(nodeA);
            await using var subscriber = await ExtendedClient.ConnectAsync(nodeB);
            var epoch = (await subscriber.SubscribeAsync(channel)).GetProperty("epoch").GetString()!;
            for (var i = 1; i <= 5; i++)
            {
                await publisher.PublishAsync(channel, $"m{i}", $"m{i}");
            }

            // 6-10 are acknowledged by the master alone: its replica is cut off.
            await fixture.Cluster.LagReplicaAsync(master, replica);
            for (var i = 6; i <= 10; i++)
            {
                Assert.Equal(epoch, (await publisher.PublishAsync(channel, $"m{i}", $"m{i}")).GetProperty("epoch").GetString());
            }

            var received = new List<JsonElement>();
            while (received.Count < 10)
            {
                received.Add(await subscriber.ReceiveAsync("pub"));
            }

            await master.KillAsync();
            replica.Resume();

            // The replica takes over without 6-10. A publish is answered (after errors meanwhile) in a new epoch.
            var after = await PublishUntilAcknowledgedAsync(publisher, channel, "after", "after-1");
            Assert.NotEqual(epoch, after.GetProperty("epoch").GetString());
            Assert.Equal(1, after.GetProperty("offset").GetInt64());

            // The subscriber: 1-10 of the old epoch, a notice that what followed 10 is gone, then the new epoch.
            var notice = await subscriber.Client.ReceiveJsonAsync(Generous);
            Assert.Equal("unrecovered", notice.GetProperty("type").GetString());
            Assert.Equal(after.GetProperty("epoch").GetString(), notice.GetProperty("epoch").GetString());
            Assert.Equal(0, notice.GetProperty("offset").GetInt64());
            var next = await subscriber.ReceiveAsync("pub");
            Assert.Equal(("after", after.GetProperty("epoch").GetString(), 1L), (next.GetProperty("message").GetString(), next.GetProperty("epoch").GetString(), next.GetProperty("offset").GetInt64()));
            Assert.Equal(Enumerable.Range(1, 10).Select(i => ($"m{i}", epoch, (long)i)), received.Select(p => (p.GetProperty("message").GetString()!, p.GetProperty("epoch").GetString()!, p.GetProperty("offset").GetInt64())));
        }
        finally
        {
            replica.Resume();
            await fixture.Cluster.WaitHealthyAsync();
        }
    }

    [Fact]
    public async Task A_master_killed_during_a_soak_fails_over_without_silent_loss()
    {
        const int total = 300;
        var keySpace = "f" + Guid.NewGuid().ToString("N")[..12];
        var channel = "soak" + Guid.NewGuid().ToString("N")[..8];
        var (master, _) = await fixture.Cluster.NodesForAsync(channel);
        try
        {
            await using var nodeA = await _redis.StartAsync(keySpace: keySpace);
            await using var nodeB = await _redis.StartAsync(keySpace: keySpace);
            await using var publisher = await ExtendedClient.ConnectAsync(nodeA);
            await using var subscriber = await ExtendedClient.ConnectAsync(nodeB);
            await subscriber.SubscribeAsync(channel);

            var acknowledged = new List<JsonElement>();
            var publishing = Task.Run(async () =>
            {
                for (var i = 1; i <= total; i++)
                {
                    acknowledged.Add(await PublishUntilAcknowledgedAsync(publisher, channel, $"m{i}", $"m{i}"));
                    if (i == total / 3)
                    {
                        await master.KillAsync();
                    }
                }
            });

            // Every frame until the last publication: within an epoch offsets follow one another; a new epoch
            // comes only after an unrecovered notice for it; nothing comes twice.
            string? epoch = null;
            long offset = 0;
            var messages = new HashSet<string>(StringComparer.Ordinal);
            while (!messages.Contains($"m{total}"))
            {
                var frame = await subscriber.Client.ReceiveJsonAsync(Generous);
                if (frame.GetProperty("type").GetString() == "unrecovered")
                {
                    (epoch, offset) = (frame.GetProperty("epoch").GetString(), frame.GetProperty("offset").GetInt64());
                    continue;
                }

                Assert.Equal("pub", frame.GetProperty("type").GetString());
                if (epoch is null)
                {
                    epoch = frame.GetProperty("epoch").GetString();
                }

                Assert.Equal((epoch, offset + 1), (frame.GetProperty("epoch").GetString(), frame.GetProperty("offset").GetInt64()));
                offset++;
                Assert.True(messages.Add(frame.GetProperty("message").GetString()!), $"delivered twice: {frame}");
            }

            await publishing;

            // Every acknowledged publication of the epoch that carried on was delivered.
            var last = acknowledged[^1].GetProperty("epoch").GetString();
            Assert.Equal(last, epoch);
            Assert.All(
                Enumerable.Range(1, total).Where(i => acknowledged[i - 1].GetProperty("epoch").GetString() == last),
                i => Assert.Contains($"m{i}", messages));
        }
        finally
        {
            await fixture.Cluster.WaitHealthyAsync();
        }
    }

    [Fact]
    public async Task With_SyncReplicas_a_publication_no_replica_confirmed_is_answered_publish_unknown_and_its_retry_is_acknowledged_once_it_is()
    {
        var channel = "sync" + Guid.NewGuid().ToString("N")[..8];
        var (master, replica) = await fixture.Cluster.NodesForAsync(channel);
        try
        {
            await using var node = await _redis.StartAsync(new Dictionary<string, string?>
            {
                ["Broadcast:Redis:SyncReplicas"] = "1",
                ["Broadcast:Redis:SyncTimeout"] = "00:00:00.300",
            });
            await using var publisher = await ExtendedClient.ConnectAsync(node);
            await using var subscriber = await ExtendedClient.ConnectAsync(node);
            await subscriber.SubscribeAsync(channel);
            Assert.Equal(1, (await publisher.PublishAsync(channel, "confirmed", "s1")).GetProperty("offset").GetInt64());

            // Only the master has it: a failover now could lose it, so the ack would promise too much.
            await fixture.Cluster.LagReplicaAsync(master, replica);
            await publisher.SendAsync(new { type = "publish", id = "s2", channel, message = "on the master only" });
            var answer = await publisher.ReceiveAsync("error");
            Assert.Equal(("s2", "publish_unknown"), (answer.GetProperty("id").GetString(), answer.GetProperty("code").GetString()));

            // The replica catches up: the retry finds the publication and is acknowledged, as a duplicate.
            replica.Resume();
            var retry = await PublishUntilAcknowledgedAsync(publisher, channel, "on the master only", "s2");
            Assert.Equal((2L, true), (retry.GetProperty("offset").GetInt64(), retry.GetProperty("duplicate").GetBoolean()));
            Assert.Equal(["confirmed", "on the master only"], new[] { await subscriber.ReceiveAsync("pub"), await subscriber.ReceiveAsync("pub") }.Select(p => p.GetProperty("message").GetString()));
        }
        finally
        {
            replica.Resume();
            await fixture.Cluster.WaitHealthyAsync();
        }
    }

    /// <summary>Publishes, and retries with the same id while the server answers that Redis failed (the failover): the ack.</summary>
    private static async Task<JsonElement> PublishUntilAcknowledgedAsync(ExtendedClient publisher, string channel, string message, string id)
    {
        JsonElement answer = default;
        await Eventually.TrueAsync(
            async () =>
            {
                await publisher.SendAsync(new { type = "publish", id, channel, message });
                answer = await publisher.Client.ReceiveJsonAsync(Generous);
                if (answer.GetProperty("type").GetString() == "ack")
                {
                    return true;
                }

                Assert.Contains(answer.GetProperty("code").GetString(), new[] { "publish_unknown", "engine_unavailable" });
                return false;
            },
            Generous,
            $"publish {id} to be acknowledged");
        Assert.Equal(id, answer.GetProperty("id").GetString());
        return answer;
    }
}
