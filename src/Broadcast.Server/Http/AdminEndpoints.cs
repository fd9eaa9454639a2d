using System.Diagnostics;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Engines;
using Broadcast.Server.Transport;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary>
/// The admin view: the page at <c>/admin</c> (part of the web app) and the JSON it polls under
/// <c>/api/admin</c>, guarded by a <see cref="KeyFilter"/> (<c>Broadcast:Admin:Key</c>). The node list covers the deployment (from
/// the engine); everything else here is about this node;
/// nothing includes message payloads or session ids.
/// </summary>
internal static class AdminEndpoints
{
    public const string PagePath = "/admin";
    private const int MaxChannels = 200;
    private const int DefaultConnections = 100;
    private const int MaxConnections = 1000;

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value;
        LogAccessAtStart(app.ServiceProvider, options.Access);

        // The page itself holds no data, so it is served without the key; it asks for one when the API answers 401.
        // While the admin API is off, the page says how to turn it on instead.
        app.MapGet(PagePath, async (HttpContext context, WebAppFiles webApp) =>
            {
                if (options.Access == AdminAccess.Off)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    context.Response.ContentType = "text/html; charset=utf-8";
                    context.Response.Headers.CacheControl = "no-cache";
                    await context.Response.WriteAsync(DisabledPage);
                    return;
                }

                var page = Path.Combine(webApp.Root, "admin.html");
                if (!File.Exists(page))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                context.Response.ContentType = "text/html; charset=utf-8";
                context.Response.Headers.CacheControl = "no-cache";
                await context.Response.SendFileAsync(page);
            })
            .ExcludeFromDescription();

        var api = app.MapGroup("/api/admin")
            .AddEndpointFilter(KeyFilter.ForAdmin(options))
            .WithTags("Admin")
            .DisableHttpMetrics();
        api.MapGet("/overview", OverviewAsync)
            .WithSummary("This node, its channels, metric totals and recent slow consumers")
            .WithDescription("Totals are since the node started; the admin view turns successive answers into rates. Requires `X-Admin-Key`; without `Broadcast:Admin:Key` the admin API is off (404 `admin_disabled`) unless `Broadcast:Admin:AllowAnonymous` opens it.");
        api.MapGet("/connections", Connections)
            .WithSummary("Open connections on this node, fullest outbound queue first");
        // The same actions as the API's /api/users, for the admin page: behind the admin key.
        api.MapGroup("/users").MapUserActions();
        return app;
    }

    /// <summary>A page without scripts or styles of its own: it must say how to enable the admin view even where nothing else of it loads.</summary>
    private static readonly string DisabledPage =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>Admin view is off</title></head><body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5\">"
        + "<h1>The admin view is off</h1><p data-testid=\"admin-disabled\">" + System.Net.WebUtility.HtmlEncode(KeyFilter.AdminDisabledText) + "</p>"
        + "<p>Then restart the server, open this page again and enter the key.</p></body></html>";

    private static void LogAccessAtStart(IServiceProvider services, AdminAccess access)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminEndpoints).FullName!);
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
        {
            switch (access)
            {
                case AdminAccess.Off:
                    AdminLog.Off(logger);
                    break;
                case AdminAccess.KeyRequired:
                    AdminLog.KeyRequired(logger);
                    break;
                default:
                    AdminLog.Anonymous(logger);
                    break;
            }
        });
    }

    private static async Task<Ok<AdminOverview>> OverviewAsync(
        ConnectionRegistry registry,
        ChannelHub hub,
        BroadcastMetrics metrics,
        SlowConsumerLog slowConsumers,
        NodeIdentity node,
        ShutdownDrain drain,
        HealthCheckService health,
        INodeDirectory directory,
        IOptions<EngineOptions> engine,
        IOptions<TransportOptions> transport,
        CancellationToken cancellationToken)
    {
        var channels = hub.ActiveChannels();
        var report = await health.CheckHealthAsync(cancellationToken);
        var self = new AdminNode(
            node.Id,
            NodeHeartbeat.StartedAt,
            engine.Value.Engine.ToString(),
            report.Status == HealthStatus.Healthy,
            drain.IsDraining,
            registry.Count,
            channels.Count);
        IReadOnlyList<NodeReport> others;
        try
        {
            // Every node of the deployment, from the reports they leave in the engine.
            others = await directory.GetNodesAsync(cancellationToken);
        }
        catch (EngineUnavailableException)
        {
            others = [];
        }

        AdminNode[] nodes =
        [
            self,
            .. others.Where(n => n.Id != node.Id).Select(n => new AdminNode(n.Id, n.StartedAt, n.Engine, n.Ready, n.Draining, n.Connections, n.Channels)),
        ];
        return TypedResults.Ok(new AdminOverview(
            self,
            nodes,
            transport.Value.OutboundQueueCapacity,
            channels.Count,
            [.. channels.OrderByDescending(c => c.Subscribers).ThenBy(c => c.Channel, StringComparer.Ordinal).Take(MaxChannels).Select(c => new AdminChannel(c.Channel, c.Subscribers))],
            metrics.Snapshot(),
            slowConsumers.Recent()));
    }

    private static Ok<AdminConnectionList> Connections(ConnectionRegistry registry, int limit = DefaultConnections)
    {
        var all = registry.All().ToList();
        var shown = all
            .OrderByDescending(c => c.Frames.QueuedFrames)
            .ThenBy(c => c.Id)
            .Take(Math.Clamp(limit, 1, MaxConnections))
            .Select(c => new AdminConnection(
                c.Id,
                c.Dialect.Name,
                c.RemoteAddress?.ToString(),
                c.Name,
                c.UserId,
                c.Subscriptions.Count,
                c.Frames.QueuedFrames,
                c.ConnectedAt));
        return TypedResults.Ok(new AdminConnectionList(all.Count, [.. shown]));
    }
}
