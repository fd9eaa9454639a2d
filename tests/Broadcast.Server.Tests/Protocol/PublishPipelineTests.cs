using System.Collections.Concurrent;
using System.Globalization;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Protocol;

/// <summary>
/// Both dialects publish through one gate: a client's publishes reach the engine without waiting for each
/// other's answers (with Redis each is a round trip), in the order sent, and every answer goes out in the
/// order of the requests, however the engine's answers come back.
/// </summary>
public sealed class PublishPipelineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_v2_client_has_several_publishes_in_flight_and_gets_its_answers_in_request_order()
    {
        await using var server = await RunningServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton(services => new GatedEngine(services.GetRequiredService<MemoryEngine>()));
            builder.Services.AddSingleton<IStreamEngine>(services => services.GetRequiredService<GatedEngine>());
        });
        var engine = server.App.Services.GetRequiredService<GatedEngine>();
        await using var client = await ExtendedClient.ConnectAsync(server);

        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(new { type = "publish", id = $"p{i}", channel = "room", message = $"m{i}" });
        }

        await client.SendAsync(new { type = "publish", id = "bad", channel = "room" });
        await client.SendAsync(new { type = "presence", id = "who", channel = "room" });

        // All five reach the engine while none is answered: the receive loop did not wait for each.
        await Eventually.TrueAsync(() => engine.Waiting == 5, Wait, "five publishes waiting on the engine at once");
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], engine.Messages);

        // The engine answers the last one first; the client still hears them in the order it asked.
        engine.ReleaseAllInReverse();
        for (var i = 0; i < 5; i++)
        {
            var ack = await client.ReceiveAsync("ack");
            Assert.Equal(($"p{i}", (long)i + 1), (ack.GetProperty("id").GetString(), ack.GetProperty("offset").GetInt64()));
        }

        var error = await client.ReceiveAsync("error");
        Assert.Equal(("bad", "message_missing"), (error.GetProperty("id").GetString(), error.GetProperty("code").GetString()));
        Assert.Equal("who", (await client.ReceiveAsync("presence")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_legacy_client_has_several_publishes_in_flight_through_the_same_gate()
    {
        await using var server = await RunningServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton(services => new GatedEngine(services.GetRequiredService<MemoryEngine>()));
            builder.Services.AddSingleton<IStreamEngine>(services => services.GetRequiredService<GatedEngine>());
        });
        var engine = server.App.Services.GetRequiredService<GatedEngine>();
        await using var publisher = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        for (var i = 0; i < 5; i++)
        {
            await publisher.SendMessageAsync($"m{i}");
        }

        await Eventually.TrueAsync(() => engine.Waiting == 5, Wait, "five legacy publishes waiting on the engine at once");
        engine.ReleaseAllInReverse();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"m{i}", (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task On_Redis_a_burst_of_v2_publishes_is_acked_in_order_with_errors_and_replies_in_their_place()
    {
        const int publishes = 400;
        await using var redis = await RedisServer.StartAsync();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Engine"] = "Redis",
            ["Broadcast:Redis:Configuration"] = redis.Configuration,
        });
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("burst");
        await using var publisher = await ExtendedClient.ConnectAsync(server);

        // Sent back to back, many more than the server keeps in flight at once; answers are read as they come.
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < publishes; i++)
            {
                if (i == 100)
                {
                    await publisher.SendAsync(new { type = "publish", id = "no-channel", message = "x" });
                }

                if (i == 200)
                {
                    await publisher.SendAsync(new { type = "history", id = "h", channel = "burst", since = 0, limit = 1 });
                }

                await publisher.SendAsync(new { type = "publish", id = i.ToString(CultureInfo.InvariantCulture), channel = "burst", message = $"m{i}" });
            }
        });

        for (var i = 0; i < publishes; i++)
        {
            if (i == 100)
            {
                Assert.Equal("channel_invalid", (await publisher.ReceiveAsync("error")).GetProperty("code").GetString());
            }

            if (i == 200)
            {
                Assert.Equal("h", (await publisher.ReceiveAsync("history")).GetProperty("id").GetString());
            }

            var ack = await publisher.ReceiveAsync("ack");
            Assert.Equal((i.ToString(CultureInfo.InvariantCulture), (long)i + 1), (ack.GetProperty("id").GetString(), ack.GetProperty("offset").GetInt64()));
        }

        await sending;
        for (var i = 0; i < publishes; i++)
        {
            Assert.Equal($"m{i}", (await subscriber.ReceiveAsync("pub")).GetProperty("message").GetString());
        }
    }

    /// <summary>The memory engine, except that each publish is answered only when the test releases it (a slow engine, as Redis is one round trip away).</summary>
    private sealed class GatedEngine(MemoryEngine inner) : Engines.DelegatingEngine(inner)
    {
        private readonly ConcurrentQueue<(TaskCompletionSource<PublishResult> Answer, PublishResult Result)> _waiting = new();
        private readonly ConcurrentQueue<string> _messages = new();

        public int Waiting => _waiting.Count;

        public List<string> Messages => [.. _messages];

        public override async ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken)
        {
            // Published (and delivered) at once, in the order called; only the answer waits.
            var result = await Inner.PublishAsync(channel, origin, messageId, payload, cancellationToken);
            var answer = new TaskCompletionSource<PublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _messages.Enqueue(System.Text.Encoding.UTF8.GetString(payload.Bytes));
            _waiting.Enqueue((answer, result));
            return await answer.Task;
        }

        public void ReleaseAllInReverse()
        {
            foreach (var (answer, result) in _waiting.Reverse())
            {
                answer.SetResult(result);
            }
        }
    }
}
