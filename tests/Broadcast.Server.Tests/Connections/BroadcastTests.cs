using System.Globalization;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>The original protocol: what one client sends, every other client receives.</summary>
public sealed class BroadcastTests
{
    [Fact]
    public async Task A_message_reaches_every_other_client_with_a_UTC_timestamp()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        var before = DateTimeOffset.UtcNow;
        await sender.SendMessageAsync("hello, everyone");

        foreach (var receiver in new[] { first, second })
        {
            var frame = await receiver.ReceiveJsonAsync();
            Assert.Equal("hello, everyone", frame.GetProperty("message").GetString());
            var timestampText = frame.GetProperty("timestamp").GetString()!;
            Assert.EndsWith("+00:00", timestampText, StringComparison.Ordinal);
            var timestamp = DateTimeOffset.Parse(timestampText, CultureInfo.InvariantCulture);
            Assert.Equal(TimeSpan.Zero, timestamp.Offset);
            Assert.InRange(timestamp, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
            Assert.Equal(["message", "timestamp"], frame.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task The_sender_does_not_receive_its_own_message()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var other = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await sender.SendMessageAsync("from sender");
        Assert.Equal("from sender", (await other.ReceiveJsonAsync()).GetProperty("message").GetString());

        // If the sender had been echoed, its own message would come before this reply.
        await other.SendMessageAsync("reply from other");
        Assert.Equal("reply from other", (await sender.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Text_with_quotes_unicode_and_markup_arrives_unchanged()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        const string text = "Olá \"mundo\" \\ <b>não</b> 🎉 \n\t \u2028 end";
        await sender.SendMessageAsync(text);
        Assert.Equal(text, (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());

        // Escapes the client chose are kept valid JSON and decode to the same text.
        await sender.SendTextAsync("{\"message\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\"}");
        Assert.Equal("été 😀", (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Fifty_concurrent_publishers_are_each_received_in_order_by_everyone_else()
    {
        const int clients = 50;
        const int perClient = 20;
        await using var server = await RunningServer.StartAsync();
        var all = new List<TestClient>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                all.Add(await server.ConnectAsync());
            }

            await server.WaitForConnectionCountAsync(clients);

            var received = all.Select(async client =>
            {
                var frames = new List<string>();
                for (var n = 0; n < (clients - 1) * perClient; n++)
                {
                    frames.Add((await client.ReceiveJsonAsync(TimeSpan.FromSeconds(60))).GetProperty("message").GetString()!);
                }

                return frames;
            }).ToArray();

            await Task.WhenAll(all.Select(async (client, index) =>
            {
                for (var seq = 0; seq < perClient; seq++)
                {
                    await client.SendMessageAsync($"{index}:{seq}");
                }
            }));

            var results = await Task.WhenAll(received);
            for (var receiver = 0; receiver < clients; receiver++)
            {
                var byPublisher = results[receiver]
                    .Select(text => text.Split(':'))
                    .GroupBy(parts => int.Parse(parts[0], CultureInfo.InvariantCulture))
                    .ToDictionary(g => g.Key, g => g.Select(parts => int.Parse(parts[1], CultureInfo.InvariantCulture)).ToList());

                Assert.DoesNotContain(receiver, byPublisher.Keys);
                Assert.Equal(clients - 1, byPublisher.Count);
                foreach (var (_, sequence) in byPublisher)
                {
                    Assert.Equal(Enumerable.Range(0, perClient), sequence);
                }
            }
        }
        finally
        {
            foreach (var client in all)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_client_alone_on_the_server_can_publish_without_error()
    {
        await using var server = await RunningServer.StartAsync();
        await using var lonely = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);

        await lonely.SendMessageAsync("anyone?");
        await using var late = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await late.SendMessageAsync("I am here");

        // The first frame the lonely client sees is the newcomer's message: no error, no echo.
        var frame = await lonely.ReceiveJsonAsync();
        Assert.Equal("I am here", frame.GetProperty("message").GetString());
        Assert.False(frame.TryGetProperty("error", out _));
    }
}
