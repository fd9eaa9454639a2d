using Broadcast.Testing;

namespace Broadcast.Server.Tests.Channels;

/// <summary>Resume: exactly the missed publications, no more and no fewer, or a clear <c>recovered: false</c>.</summary>
public abstract class ResumeTests(EngineUnderTest engine)
{
    private static object Position(string epoch, long offset) => new { epoch, offset };

    [Fact]
    public async Task A_returning_subscriber_gets_exactly_what_it_missed_then_live_publications()
    {
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        string session;
        string epoch;
        await using (var subscriber = await ExtendedClient.ConnectAsync(server))
        {
            session = subscriber.Session;
            epoch = (await subscriber.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
            await publisher.PublishAsync("room", "seen 1", "1");
            await publisher.PublishAsync("room", "seen 2", "2");
            Assert.Equal(1, (await subscriber.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
            Assert.Equal(2, (await subscriber.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
            subscriber.Client.Socket.Abort();
        }

        for (var i = 3; i <= 12; i++)
        {
            await publisher.PublishAsync("room", $"missed {i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await using var resumed = await ExtendedClient.ConnectAsync(server, session: session);
        var reply = await resumed.SubscribeAsync("room", since: Position(epoch, 2));
        Assert.True(reply.GetProperty("recovered").GetBoolean());
        Assert.Equal(10, reply.GetProperty("missed").GetInt32());
        Assert.Equal(12, reply.GetProperty("offset").GetInt64());
        for (var offset = 3; offset <= 12; offset++)
        {
            var pub = await resumed.ReceiveAsync("pub");
            Assert.Equal(offset, pub.GetProperty("offset").GetInt64());
            Assert.Equal($"missed {offset}", pub.GetProperty("message").GetString());
        }

        await publisher.PublishAsync("room", "live 13", "13");
        Assert.Equal(13, (await resumed.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_resuming_client_is_not_sent_its_own_publications_in_the_replay()
    {
        await using var server = await engine.StartAsync();
        await using var other = await ExtendedClient.ConnectAsync(server);
        string session;
        string epoch;
        await using (var client = await ExtendedClient.ConnectAsync(server))
        {
            session = client.Session;
            epoch = (await client.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
            await client.PublishAsync("room", "mine 1", "a");
            client.Client.Socket.Abort();
        }

        await other.PublishAsync("room", "theirs 2", "b");
        // Published with the same session from another connection (another tab) while the first was away.
        await using (var tab = await ExtendedClient.ConnectAsync(server, session: session))
        {
            await tab.PublishAsync("room", "mine 3", "c");
        }

        await other.PublishAsync("room", "theirs 4", "d");

        await using var resumed = await ExtendedClient.ConnectAsync(server, session: session);
        var reply = await resumed.SubscribeAsync("room", since: Position(epoch, 0));
        Assert.True(reply.GetProperty("recovered").GetBoolean());
        Assert.Equal(2, reply.GetProperty("missed").GetInt32());
        Assert.Equal("theirs 2", (await resumed.ReceiveAsync("pub")).GetProperty("message").GetString());
        Assert.Equal("theirs 4", (await resumed.ReceiveAsync("pub")).GetProperty("message").GetString());

        // And live: its own next publication does not come back, the other's does.
        await resumed.PublishAsync("room", "mine 5", "e");
        await other.PublishAsync("room", "theirs 6", "f");
        Assert.Equal(6, (await resumed.ReceiveAsync("pub")).GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_position_older_than_the_history_is_not_recovered_and_nothing_is_replayed()
    {
        await using var server = await engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Channels:HistorySize"] = "5" });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        var epoch = (await publisher.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync("room", $"m{i}", $"{i}");
        }

        // Offsets 6-10 are kept; a client that saw up to 4 has lost 5.
        var lost = await subscriber.SubscribeAsync("room", since: Position(epoch, 4));
        Assert.False(lost.GetProperty("recovered").GetBoolean());
        Assert.Equal(0, lost.GetProperty("missed").GetInt32());
        Assert.Equal(10, lost.GetProperty("offset").GetInt64());

        await publisher.PublishAsync("room", "m11", "11");
        Assert.Equal(11, (await subscriber.ReceiveAsync("pub")).GetProperty("offset").GetInt64());

        // Now 7-11 are kept: one that saw up to 6 has lost nothing.
        var kept = await subscriber.SubscribeAsync("room", since: Position(epoch, 6), id: "again");
        Assert.True(kept.GetProperty("recovered").GetBoolean());
        Assert.Equal(5, kept.GetProperty("missed").GetInt32());
    }

    [Fact]
    public async Task Publications_past_their_time_to_live_cannot_be_recovered()
    {
        await using var server = await engine.StartAsync(new Dictionary<string, string?> { ["Broadcast:Channels:HistoryTtl"] = "00:00:01" });
        await using var client = await ExtendedClient.ConnectAsync(server);
        var epoch = (await client.SubscribeAsync("room")).GetProperty("epoch").GetString()!;
        await client.PublishAsync("room", "short-lived", "1");

        await Eventually.TrueAsync(
            async () =>
            {
                await client.SendAsync(new { type = "history", id = "h", channel = "room" });
                var history = await client.ReceiveAsync("history");
                return history.GetProperty("publications").GetArrayLength() == 0;
            },
            TimeSpan.FromSeconds(20),
            "the publication to expire from history");

        await using var other = await ExtendedClient.ConnectAsync(server);
        var reply = await other.SubscribeAsync("room", since: Position(epoch, 0));
        Assert.False(reply.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task Resuming_while_publications_keep_arriving_has_no_gap_and_no_duplicate()
    {
        const int total = 3000;
        await using var server = await engine.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Channels:HistorySize"] = "5000",
            // This test is about resume, not slow consumers: let a subscriber fall far behind.
            ["Broadcast:OutboundQueueCapacity"] = "100000",
        });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        var subscriber = await ExtendedClient.ConnectAsync(server);
        var session = subscriber.Session;
        var epoch = (await subscriber.SubscribeAsync("race")).GetProperty("epoch").GetString()!;

        // The publisher does not wait for acks, so publications keep landing during every replay.
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= total; i++)
            {
                await publisher.SendAsync(new { type = "publish", channel = "race", message = $"m{i}" });
            }
        });

        var received = new List<long>();
        var resumes = 0;
        var random = new Random(1234);
        try
        {
            while (received.Count == 0 || received[^1] < total)
            {
                // Read a random number of frames, then drop the connection without a goodbye.
                var budget = random.Next(1, 200);
                for (var i = 0; i < budget && (received.Count == 0 || received[^1] < total); i++)
                {
                    var pub = await subscriber.ReceiveAsync("pub");
                    received.Add(pub.GetProperty("offset").GetInt64());
                }

                if (received.Count > 0 && received[^1] == total)
                {
                    break;
                }

                subscriber.Client.Socket.Abort();
                await subscriber.DisposeAsync();
                subscriber = await ExtendedClient.ConnectAsync(server, session: session);
                var reply = await subscriber.SubscribeAsync("race", since: Position(epoch, received.Count == 0 ? 0 : received[^1]));
                Assert.True(reply.GetProperty("recovered").GetBoolean());
                resumes++;
            }
        }
        finally
        {
            await subscriber.DisposeAsync();
        }

        await publishing;
        Assert.True(resumes >= 10, $"only {resumes} resumes happened");
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), received);
    }

    [Fact]
    public async Task The_position_in_a_subscribe_reply_lets_a_later_resume_start_exactly_there()
    {
        await using var server = await engine.StartAsync();
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await publisher.PublishAsync("room", "old", "1");
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        var reply = await subscriber.SubscribeAsync("room");
        Assert.Equal(1, reply.GetProperty("offset").GetInt64());
        await publisher.PublishAsync("room", "new", "2");
        var pub = await subscriber.ReceiveAsync("pub");
        Assert.Equal("new", pub.GetProperty("message").GetString());
    }
}

public sealed class ResumeTestsOnMemory(MemoryEngineUnderTest engine) : ResumeTests(engine), IClassFixture<MemoryEngineUnderTest>;

public sealed class ResumeTestsOnRedis(RedisEngineUnderTest engine) : ResumeTests(engine), IClassFixture<RedisEngineUnderTest>;
