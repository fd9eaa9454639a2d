using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Http;

/// <summary>
/// Background work that fails, with any exception at all, is logged, counted and retried with backoff; it
/// never stops the node. (The Redis engine's own background work is shown through real faults in
/// RedisFaultSurvivalTests.)
/// </summary>
public sealed class BackgroundWorkTests
{
    /// <summary>What StackExchange.Redis threw from the heartbeat's report during a Redis stall, which stopped the node (issue #12).</summary>
    private const string StallFailure = "Reading is not allowed after reader was completed.";

    [Fact]
    public async Task A_heartbeat_report_failing_with_an_unexpected_exception_is_counted_and_retried_and_the_node_keeps_serving()
    {
        await using var server = await RunningServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton(services => new FlakyHeartbeatEngine(services.GetRequiredService<MemoryEngine>(), failures: 3));
            builder.Services.AddSingleton<INodeDirectory>(services => services.GetRequiredService<FlakyHeartbeatEngine>());
        });
        var engine = server.App.Services.GetRequiredService<FlakyHeartbeatEngine>();

        // Retried with backoff (0.2 s, 0.4 s, 0.8 s, with jitter) until the report goes through: not at the next 5 s tick.
        await engine.Reported.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(server.App.Lifetime.ApplicationStopping.IsCancellationRequested, "the node began to stop");

        var scrape = await PrometheusScrape.FetchAsync(server.Http);
        Assert.Equal(3, scrape.Sum("broadcast_server_background_errors_total", ("broadcast_task", "heartbeat"), ("error_type", nameof(InvalidOperationException))));

        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);
        await sender.SendMessageAsync("still serving");
        Assert.Equal("still serving", (await receiver.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    /// <summary>The memory engine, except that its first few node reports fail as the Redis client's did in a stall.</summary>
    private sealed class FlakyHeartbeatEngine(MemoryEngine inner, int failures) : Engines.DelegatingEngine(inner)
    {
        private readonly TaskCompletionSource _reported = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task Reported => _reported.Task;

        public override async ValueTask ReportNodeAsync(NodeReport report, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) <= failures)
            {
                throw new InvalidOperationException(StallFailure);
            }

            await Inner.ReportNodeAsync(report, cancellationToken);
            _reported.TrySetResult();
        }
    }
}
