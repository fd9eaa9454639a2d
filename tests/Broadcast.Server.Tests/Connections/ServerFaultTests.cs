using System.Net.WebSockets;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// A real fault of the server (a bug, not a bad client) closes only the connection it happened on, with
/// 1011 and no details in the reason; malformed input never gets 1011 (see ValidationTests).
/// </summary>
public sealed class ServerFaultTests
{
    /// <summary>The kind of detail an exception carries that a client must never see.</summary>
    private const string InternalDetail = "redis://admin:hunter2@10.0.0.7 stack frame at Engine.Publish";

    [Fact]
    public async Task A_server_fault_closes_that_connection_with_1011_without_details_and_others_are_unaffected()
    {
        await using var server = await RunningServer.StartAsync(configure: builder =>
            builder.Services.AddSingleton<IStreamEngine>(services => new FaultyEngine(services.GetRequiredService<MemoryEngine>())));
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await using var victim = await ExtendedClient.ConnectAsync(server);
        await server.WaitForConnectionCountAsync(3);

        await victim.SendAsync(new { type = "publish", id = "p1", channel = FaultyEngine.Channel, message = "boom" });
        var (close, _) = await victim.Client.ReceiveUntilCloseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, close.CloseStatus);
        Assert.DoesNotContain("hunter2", close.CloseDescription ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("Engine", close.CloseDescription ?? "", StringComparison.Ordinal);

        await server.WaitForConnectionCountAsync(2);
        await publisher.SendMessageAsync("unaffected");
        Assert.Equal("unaffected", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    /// <summary>The memory engine, except that publishing on one channel hits a bug.</summary>
    private sealed class FaultyEngine(MemoryEngine inner) : Engines.DelegatingEngine(inner)
    {
        public const string Channel = "faulty";

        public override ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken) =>
            channel == Channel
                ? throw new InvalidOperationException(InternalDetail)
                : Inner.PublishAsync(channel, origin, messageId, payload, cancellationToken);
    }
}
