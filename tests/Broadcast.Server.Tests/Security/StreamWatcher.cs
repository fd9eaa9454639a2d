using System.Net.WebSockets;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary>
/// Reads a legacy client's broadcasts in the background until <c>{"message": "done"}</c>, checking that each
/// publisher's messages (<c>"{publisher}:{sequence}:…"</c>) arrive in order without duplicates, and counting them.
/// Frames are dropped once checked, so a flood of large messages costs the test process nothing lasting.
/// </summary>
internal sealed class StreamWatcher
{
    private readonly Dictionary<string, int> _lastSequence = new(StringComparer.Ordinal);

    private StreamWatcher(TestClient client)
    {
        Client = client;
        Done = Task.Run(WatchAsync);
    }

    public TestClient Client { get; }

    /// <summary>Completes once "done" arrived; faults if the connection closed first or a message came out of order.</summary>
    public Task Done { get; }

    /// <summary>Messages received before "done".</summary>
    public int Received { get; private set; }

    public static StreamWatcher Start(TestClient client) => new(client);

    private async Task WatchAsync()
    {
        while (true)
        {
            var frame = await Client.ReceiveAsync(TimeSpan.FromSeconds(60));
            if (frame.Type == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"closed before the end: {frame.CloseStatus} '{frame.CloseDescription}'");
            }

            var json = frame.Json;
            Assert.False(json.TryGetProperty("code", out var code), $"a watcher got an error: {code}");
            var text = json.GetProperty("message").GetString()!;
            if (text == "done")
            {
                return;
            }

            var parts = text.Split(':', 3);
            var sequence = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(sequence > _lastSequence.GetValueOrDefault(parts[0], -1), $"{parts[0]}:{sequence} came out of order or twice");
            _lastSequence[parts[0]] = sequence;
            Received++;
        }
    }
}
