using Broadcast.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary><c>GET /metrics</c>: the server's meters (and the platform's) in Prometheus text format, unless <c>Broadcast:Metrics:Enabled</c> is false.</summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static WebApplication MapMetrics(this WebApplication app)
    {
        // Created now, not on the first connection, so every instrument is in the first scrape.
        app.Services.GetRequiredService<BroadcastMetrics>();
        if (app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Enabled)
        {
            // Scrapes are not requests anyone wants in http.server.request.duration.
            app.MapPrometheusScrapingEndpoint(Path).DisableHttpMetrics();
        }

        return app;
    }
}
