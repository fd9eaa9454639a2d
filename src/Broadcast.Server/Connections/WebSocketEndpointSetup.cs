namespace Broadcast.Server.Connections;

internal static class WebSocketEndpointSetup
{
    public const string Path = "/ws/events";

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
