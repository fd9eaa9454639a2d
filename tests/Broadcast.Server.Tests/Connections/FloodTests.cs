using System.Diagnostics;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>A flood of malformed input costs its senders error replies and nobody else anything.</summary>
public sealed class FloodTests
{
    private static readonly string[] Malformed =
    [
        "{", "[]", "null", "{}", "{\"message\":\"\"}", "{\"message\":42}", "not json", "{\"message\":[1,2,3]}",
        "{\"message\":\"unterminated", "\"string\"", "{\"message\":\"ok\"} trailing", new string('[', 200),
    ];

    [Fact]
    public async Task Ten_thousand_malformed_messages_do_not_disturb_a_watcher_or_grow_memory()
    {
        const int flooders = 5;
        const int perFlooder = 2000;
        const int valid = 500;
        await using var server = await RunningServer.StartAsync();
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        var floodClients = new List<TestClient>();
        for (var i = 0; i < flooders; i++)
        {
            floodClients.Add(await server.ConnectAsync());
        }

        await server.WaitForConnectionCountAsync(flooders + 2);
        GC.Collect();
        var memoryBefore = Process.GetCurrentProcess().WorkingSet64;

        // Each flooder sends bursts of 100 and reads its error replies between bursts; a client that
        // never read them would be cut off as a slow consumer instead (tested elsewhere).
        var flooding = floodClients.Select(async (client, index) =>
        {
            for (var burst = 0; burst < perFlooder / 100; burst++)
            {
                for (var n = 0; n < 100; n++)
                {
                    await client.SendTextAsync(Malformed[(burst + n + index) % Malformed.Length]);
                }

                // Flooders are clients too: the valid broadcasts reach them between their error replies.
                for (var errors = 0; errors < 100;)
                {
                    var reply = await client.ReceiveJsonAsync();
                    errors += reply.TryGetProperty("code", out _) ? 1 : 0;
                }
            }
        }).ToArray();

        var watching = Task.Run(async () =>
        {
            for (var n = 0; n < valid; n++)
            {
                Assert.Equal($"valid {n}", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
            }
        });
        for (var n = 0; n < valid; n++)
        {
            await publisher.SendMessageAsync($"valid {n}");
        }

        await Task.WhenAll(flooding);
        await watching;

        // Bounded: the flood left no lasting growth (generous: this process also runs the clients).
        GC.Collect();
        var grown = Process.GetCurrentProcess().WorkingSet64 - memoryBefore;
        Assert.True(grown < 200L * 1024 * 1024, $"working set grew by {grown / 1024 / 1024} MiB");
        Assert.Equal(flooders + 2, server.Registry.Count);
        foreach (var client in floodClients)
        {
            await client.DisposeAsync();
        }
    }
}
