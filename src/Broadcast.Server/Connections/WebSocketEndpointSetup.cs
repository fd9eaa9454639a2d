namespace Broadcast.Server.Connections;

internal static class WebSocketEndpointSetup
{
    public const string Path = "/ws/events";

    /// <summary>
    /// Handles upgrades to <see cref="Path"/> right after the WebSocket middleware, before static files, API
    /// documentation and routing. Every middleware a request passes through stays suspended in its await for as
    /// long as the WebSocket lives, so skipping them saves memory on every connection.
    /// </summary>
    public static IApplicationBuilder UseBroadcastWebSocket(this IApplicationBuilder app)
    {
        var endpoint = app.ApplicationServices.GetRequiredService<WebSocketEndpoint>();
        return app.Use((context, next) =>
            HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals(Path, StringComparison.Ordinal)
                ? endpoint.HandleAsync(context)
                : next(context));
    }

    /// <summary>Describes the endpoint in the API documentation (requests are answered by <see cref="UseBroadcastWebSocket"/>).</summary>
    public static IEndpointRouteBuilder MapBroadcastWebSocket(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (HttpContext context, WebSocketEndpoint endpoint) => endpoint.HandleAsync(context))
            .WithName("EventsWebSocket")
            .WithTags("WebSocket")
            .WithSummary("WebSocket: publish and receive broadcasts")
            .WithDescription(
                "Upgrade to a WebSocket (101 Switching Protocols). Send `{\"message\": \"text\"}`; every other client receives " +
                "`{\"message\": \"text\", \"timestamp\": \"ISO-8601 UTC\"}`. Invalid input gets `{\"error\": \"…\", \"code\": \"…\"}`. " +
                "The full protocol, with close codes and error codes, is in this document's description.")
            .Produces(StatusCodes.Status101SwitchingProtocols)
            .Produces(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
