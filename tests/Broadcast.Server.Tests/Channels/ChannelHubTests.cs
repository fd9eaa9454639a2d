using System.Net.WebSockets;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Channels;

/// <summary>
/// The hub's subscriber lists, across the chunk boundaries of its storage: every subscription still
/// there receives each publication exactly once, whatever order subscriptions came and went in.
/// </summary>
public sealed class ChannelHubTests : IDisposable
{
    // The services a connection needs, from a server that is built but never started.
    private readonly WebApplication _app = BroadcastServer.Build(["--urls", "http://127.0.0.1:0"]);

    public void Dispose() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Theory]
    [InlineData(1, 7)]
    [InlineData(600, 1)]
    [InlineData(1000, 20)]
    [InlineData(3000, 3)]
    public async Task Each_remaining_subscription_receives_a_publication_once(int count, int seed)
    {
        var hub = new ChannelHub();
        var random = new Random(seed);
        var subscriptions = Enumerable.Range(0, count).Select(i => Subscribe(i)).ToList();
        var present = new HashSet<ChannelSubscription>();
        foreach (var subscription in subscriptions)
        {
            Assert.Equal(present.Count == 0, hub.Add(subscription));
            present.Add(subscription);
        }

        // Removed in random order, with some removed twice and some added back.
        foreach (var subscription in subscriptions.OrderBy(_ => random.Next()).Take(count * 2 / 3))
        {
            hub.Remove(subscription);
            present.Remove(subscription);
            Assert.False(hub.Remove(subscription));
            if (random.Next(4) == 0)
            {
                hub.Add(subscription);
                present.Add(subscription);
            }
        }

        Assert.Equal(present.Count > 0, hub.HasSubscribers("c"));
        Assert.Equal(present.Count, hub.ActiveChannels().SingleOrDefault().Subscribers);

        hub.Deliver(new Publication("c", "e", 1, "someone-else", DateTime.UtcNow, "{}"u8.ToArray()));
        foreach (var subscription in subscriptions)
        {
            // Closing with a drain writes whatever the connection had queued, then the close frame.
            var connection = Connection(subscription);
            connection.RequestClose(new CloseRequest(WebSocketCloseStatus.EndpointUnavailable, "", DrainFirst: true, TimeSpan.FromMinutes(1)));
            await connection.RunWriterAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(present.Contains(subscription) ? 1 : 0, TextFrames(_streams[subscription].ToArray()));
        }

        foreach (var subscription in present.ToList())
        {
            var wasLast = hub.Remove(subscription);
            present.Remove(subscription);
            Assert.Equal(present.Count == 0, wasLast);
        }

        Assert.False(hub.HasSubscribers("c"));
        Assert.Empty(hub.ActiveChannels());
    }

    private readonly Dictionary<ChannelSubscription, WebSocketWriter> _connections = [];
    private readonly Dictionary<ChannelSubscription, MemoryStream> _streams = [];

    /// <summary>Counts the text frames in what a server wrote (unmasked frames with payloads under 126 bytes).</summary>
    private static int TextFrames(byte[] bytes)
    {
        var frames = 0;
        for (var position = 0; position < bytes.Length; position += 2 + (bytes[position + 1] & 0x7F))
        {
            frames += (bytes[position] & 0x0F) == 0x1 ? 1 : 0;
        }

        return frames;
    }

    private WebSocketWriter Connection(ChannelSubscription subscription) => _connections[subscription];

    private ChannelSubscription Subscribe(int id)
    {
        var stream = new MemoryStream();
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var connection = _app.Services.GetRequiredService<WebSocketTransport>().CreateWriter(id, socket, new SharedWriteStream(stream), null, queueCapacity: 10);
        var legacy = _app.Services.GetRequiredService<ClientDialects>().Choose([]);
        var subscription = new ChannelSubscription(new ClientSession(id, "node", connection, null, legacy), "c", wantsPresence: false);
        subscription.GoLive(ReadOnlyMemory<byte>.Empty, new StreamPosition("e", 0), []);
        _connections[subscription] = connection;
        _streams[subscription] = stream;
        return subscription;
    }
}
