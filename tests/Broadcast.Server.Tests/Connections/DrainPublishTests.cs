using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// Once the drain begins nothing more is published (<c>shutting_down</c>, on both dialects and over HTTP), and
/// what was admitted before reaches every client before its 1001: a client that got 1001 missed nothing here.
/// </summary>
public sealed class DrainPublishTests
{
    private const string ApiKey = "drain-test-api-key-0123456789";

    [Fact]
    public async Task During_the_drain_publishes_are_refused_everywhere_and_the_one_in_flight_reaches_every_client_before_its_1001()
    {
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Broadcast:Api:Key"] = ApiKey,
                // The drain waits up to half of this for publishes in flight: far longer than this test needs.
                ["Broadcast:ShutdownTimeout"] = "00:01:00",
            },
            builder =>
            {
                builder.Services.AddSingleton(services => new HeldEngine(services.GetRequiredService<MemoryEngine>()));
                builder.Services.AddSingleton<IStreamEngine>(services => services.GetRequiredService<HeldEngine>());
            });
        var engine = server.App.Services.GetRequiredService<HeldEngine>();
        await using var legacySubscriber = await server.ConnectAsync();
        await using var legacyPublisher = await server.ConnectAsync();
        await using var subscriber = await ExtendedClient.ConnectAsync(server);
        await subscriber.SubscribeAsync("events");
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await using var otherPublisher = await ExtendedClient.ConnectAsync(server);
        await server.WaitForConnectionCountAsync(5);

        // Admitted before the drain, and still on its way to the engine when the drain begins.
        await publisher.SendAsync(new { type = "publish", id = "m1", channel = "events", message = "held" });
        await Eventually.TrueAsync(() => engine.Held == 1, TimeSpan.FromSeconds(30), "the publish to reach the engine");
        var drain = server.App.Services.GetRequiredService<ShutdownDrain>();
        drain.Begin();

        // Refused, and said so: over HTTP, to a legacy client, and to a v2 client (after its earlier publish's answer).
        using var http = new HttpRequestMessage(HttpMethod.Post, "/api/channels/events/publish") { Content = JsonContent.Create(new { message = "by http" }) };
        http.Headers.Add("X-API-Key", ApiKey);
        using var answer = await server.Http.SendAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal("shutting_down", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        await legacyPublisher.SendMessageAsync("by legacy");
        var legacyError = await legacyPublisher.ReceiveJsonAsync();
        Assert.Equal("shutting_down", legacyError.GetProperty("code").GetString());
        Assert.Equal(["error", "code"], legacyError.EnumerateObject().Select(p => p.Name));

        await otherPublisher.SendAsync(new { type = "publish", id = "m3", channel = "events", message = "by another v2" });
        var otherRefused = await otherPublisher.ReceiveAsync("error");
        Assert.Equal(("m3", "shutting_down"), (otherRefused.GetProperty("id").GetString(), otherRefused.GetProperty("code").GetString()));

        // A refusal that must wait for an earlier publish's answer holds the closes too.
        await publisher.SendAsync(new { type = "publish", id = "m2", channel = "events", message = "by v2" });
        await Eventually.TrueAsync(() => drain.Holds == 2, TimeSpan.FromSeconds(30), "the refusal to wait behind the held publish");
        engine.Release();

        Assert.Equal("m1", (await publisher.ReceiveAsync("ack")).GetProperty("id").GetString());
        var refused = await publisher.ReceiveAsync("error");
        Assert.Equal(("m2", "shutting_down"), (refused.GetProperty("id").GetString(), refused.GetProperty("code").GetString()));

        // Every client got the publication admitted before the drain, then 1001, and nothing published after it.
        var (close, before) = await subscriber.Client.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.Equal(["held"], before.Select(f => f.Json.GetProperty("message").GetString()));
        (close, before) = await legacySubscriber.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.Equal(["held"], before.Select(f => f.Json.GetProperty("message").GetString()));
        (close, before) = await legacyPublisher.ReceiveUntilCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.Equal(["held"], before.Select(f => f.Json.GetProperty("message").GetString()));
        Assert.Equal(1, engine.Published);
    }

    /// <summary>The memory engine, except that a publish reaches it (and is fanned out) only once the test releases it: an engine a round trip away.</summary>
    private sealed class HeldEngine(MemoryEngine inner) : Engines.DelegatingEngine(inner)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;
        private int _published;

        public int Held => Volatile.Read(ref _held);

        public int Published => Volatile.Read(ref _published);

        public void Release() => _release.SetResult();

        public override async ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _held);
            await _release.Task;
            Interlocked.Increment(ref _published);
            return await Inner.PublishAsync(channel, origin, messageId, payload, cancellationToken);
        }
    }
}
