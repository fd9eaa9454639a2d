using Broadcast.Server.Connections;

namespace Broadcast.Server.Http;

/// <summary>The original server's HTTP endpoints, kept byte-for-byte compatible in shape.</summary>
internal static class StatusEndpoints
{
    public const string ServiceName = "WebSocket Broadcast Server";

    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (ConnectionRegistry registry) => TypedResults.Ok(new HealthResponse("healthy", registry.Count)))
            .WithName("Health")
            .WithTags("Status")
            .WithSummary("Liveness")
            .WithDescription("Answers while the process is up, with the number of open WebSocket connections on this node.");

        app.MapGet("/", async (HttpContext context, ConnectionRegistry registry, WebAppFiles webApp) =>
            {
                // Browsers ask for HTML and get the web app; API clients get the original JSON.
                if (WebAppFiles.AcceptsHtml(context.Request) && webApp.IsAvailable)
                {
                    await webApp.SendIndexAsync(context);
                    return;
                }

                await context.Response.WriteAsJsonAsync(new ServiceStatusResponse("online", ServiceName, registry.Count));
            })
            .WithName("ServiceStatus")
            .WithTags("Status")
            .WithSummary("Service status, or the web app for browsers")
            .WithDescription("With `Accept: text/html` (a browser) this serves the web app; otherwise the service status as JSON.")
            .Produces<ServiceStatusResponse>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status200OK, contentType: "text/html");

        return app;
    }
}
