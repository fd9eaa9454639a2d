using System.Net.WebSockets;
using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Broadcast.Server.Connections;
using Broadcast.Server.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Tests.Channels;

/// <summary>
/// The hub's subscriber lists, across the chunk boundaries of its storage: every subscription still
/// there receives each publication exactly once, whatever order subscriptions came and went in.
/// </summary>
public sealed class ChannelHubTests : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly ConnectionEvents _events;

    public ChannelHubTests()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(new BroadcastOptions()));
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ChannelHub>();
        services.AddSingleton<BroadcastMetrics>();
        services.AddSingleton<SlowConsumerLog>();
        services.AddSingleton<ConnectionEvents>();
        _services = services.BuildServiceProvider();
        _events = _services.GetRequiredService<ConnectionEvents>();
    }

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData(1, 7)]
    [InlineData(600, 1)]
    [InlineData(1000, 20)]
    public async Task Each_remaining_subscription_receives_a_publication_once(int count, int seed)
    {
        var hub = new ChannelHub();
        var random = new Random(seed);
        var subscriptions = Enumerable.Range(0, count).Select(i => Subscribe(i)).ToList();
        var present = new HashSet<Subscription>();
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

    private readonly Dictionary<Subscription, ClientConnection> _connections = [];
    private readonly Dictionary<Subscription, MemoryStream> _streams = [];

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

    private ClientConnection Connection(Subscription subscription) => _connections[subscription];

    private Subscription Subscribe(int id)
    {
        var stream = new MemoryStream();
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var connection = new ClientConnection(id, "node", socket, new SharedWriteStream(stream), null, isLegacy: true, queueCapacity: 10, _events);
        var subscription = new Subscription(connection, "c", wantsPresence: false);
        subscription.GoLive(ReadOnlyMemory<byte>.Empty, new StreamPosition("e", 0), []);
        _connections[subscription] = connection;
        _streams[subscription] = stream;
        return subscription;
    }
}
