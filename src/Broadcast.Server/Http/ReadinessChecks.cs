using System.Text.Json;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Broadcast.Server.Http;

/// <summary>
/// <c>GET /ready</c>: readiness for a load balancer, separate from <c>/health</c> (liveness). Not ready
/// while the engine (Redis) is unreachable or while the server drains for shutdown, so traffic moves
/// to other nodes; connections already here stay open.
/// </summary>
internal static class ReadinessChecks
{
    public static IServiceCollection AddReadinessChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<EngineCheck>("engine")
            .AddCheck<DrainCheck>("accepting_connections");

        // The health check service logs every unhealthy probe: a load balancer polling through a Redis outage
        // would write a line per probe. The engine logs its own failures, rate-limited; the drain logs itself.
        services.AddLogging(logging => logging.AddFilter(typeof(HealthCheckService).Namespace + ".DefaultHealthCheckService", LogLevel.Critical));
        return services;
    }

    public static IEndpointRouteBuilder MapReadiness(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/ready", new HealthCheckOptions
        {
            ResponseWriter = WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        })
            .WithTags("Status")
            .WithSummary("Readiness")
            .WithDescription("200 when this node can take new clients: its engine is reachable and it is not shutting down; 503 otherwise.");
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status == HealthStatus.Healthy ? "ok" : "failing", description = e.Value.Description });
        if (report.Status == HealthStatus.Healthy)
        {
            return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = "ready", checks }));
        }

        // A 503 like every other error answer: {"error", "code"}, with the checks that failed named.
        var failing = string.Join(", ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}"));
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = "not_ready", error = "This node takes no new clients now (" + failing + ").", code = "not_ready", checks }));
    }

    private sealed class EngineCheck(IStreamEngine engine) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await engine.IsAvailableAsync(cancellationToken)
                ? HealthCheckResult.Healthy("engine reachable")
                : HealthCheckResult.Unhealthy("engine unreachable");
    }

    private sealed class DrainCheck(ShutdownDrain drain) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(drain.IsDraining ? HealthCheckResult.Unhealthy("shutting down") : HealthCheckResult.Healthy("accepting"));
    }
}
