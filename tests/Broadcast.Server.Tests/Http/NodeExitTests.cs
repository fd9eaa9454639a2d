using System.Net;
using System.Net.Sockets;
using Broadcast.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Broadcast.Server.Tests.Http;

/// <summary>
/// A node that has to stop exits non-zero (70), so a supervisor that restarts on failure restarts it; a
/// requested stop exits 0 (SIGTERM: ShutdownTests), bad configuration 78 (ConfigurationTests).
/// </summary>
public sealed class NodeExitTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_background_service_failing_stops_the_node_with_a_non_zero_exit_code()
    {
        var app = BuildQuietly(builder => builder.Services.AddHostedService<FailingAfterStart>());
        await using (app)
        {
            Assert.Equal(BroadcastServer.FaultExitCode, await BroadcastServer.RunAsync(app).WaitAsync(Generous));
        }
    }

    [Fact]
    public async Task A_requested_stop_exits_with_zero()
    {
        var app = BuildQuietly();
        await using (app)
        {
            var running = BroadcastServer.RunAsync(app);
            await WaitUntilStartedAsync(app);
            app.Lifetime.StopApplication();
            Assert.Equal(0, await running.WaitAsync(Generous));
        }
    }

    [Fact]
    public async Task A_node_that_cannot_start_exits_non_zero_and_says_why()
    {
        // A real fault of the host: its port is taken.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var server = ServerProcess.Start(environment: null, "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(BroadcastServer.FaultExitCode, await server.WaitForExitAsync(Generous));
        Assert.Contains("address already in use", server.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("exiting with code 70", server.Output, StringComparison.Ordinal);
    }

    private static WebApplication BuildQuietly(Action<WebApplicationBuilder>? configure = null) =>
        BroadcastServer.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            });
            configure?.Invoke(builder);
        });

    private static async Task WaitUntilStartedAsync(WebApplication app)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = app.Lifetime.ApplicationStarted.Register(started.SetResult);
        await started.Task.WaitAsync(Generous);
    }

    /// <summary>A background service with a fault nothing can retry away: it throws once the node is up.</summary>
    private sealed class FailingAfterStart(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(started.SetResult))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            throw new InvalidOperationException("a fault that no retry can fix");
        }
    }
}
