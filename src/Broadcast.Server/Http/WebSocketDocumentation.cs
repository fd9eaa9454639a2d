using Broadcast.Server.Connections;

namespace Broadcast.Server.Http;

/// <summary>The WebSocket endpoint as the API documentation shows it (the upgrade itself is served by the connection layer).</summary>
internal static class WebSocketDocumentation
{
    /// <summary>Describes the endpoint in the API documentation (requests to the exact path are answered by the connection layer's <c>UseBroadcastWebSocket</c>).</summary>
    public static IEndpointRouteBuilder MapWebSocketDocumentation(this IEndpointRouteBuilder app)
    {
        // Routing matches paths case-insensitively and with a trailing slash (/WS/EVENTS, /ws/events/): those
        // are not the endpoint, and neither is a target that only decodes to it. Only the exact path, served by
        // the connection layer's middleware ahead of routing, upgrades; the route answers 404 and is here for the documentation.
        app.MapGet(WebSocketEndpointSetup.Path, () => TypedResults.NotFound())
            .WithName("EventsWebSocket")
            .WithTags("WebSocket")
            .WithSummary("WebSocket: publish and receive broadcasts")
            .WithDescription(
                "Upgrade to a WebSocket (101 Switching Protocols). Send `{\"message\": \"text\"}`; every other client receives " +
                "`{\"message\": \"text\", \"timestamp\": \"ISO-8601 UTC\"}`. Invalid input gets `{\"error\": \"…\", \"code\": \"…\"}`. " +
                "The full protocol, with close codes and error codes, is in this document's description.")
            .Produces(StatusCodes.Status101SwitchingProtocols)
            .Produces(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status404NotFound)
            .Produces(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
