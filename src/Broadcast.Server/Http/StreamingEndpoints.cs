using Broadcast.Server.Connections;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary>
/// Maps the transports beside WebSocket (docs/protocol.md, "HTTP streaming" and "Server-Sent Events"): the
/// handlers are the connection layer's; here they get their routes and CORS, which follows
/// <c>Broadcast:Limits:AllowedOrigins</c> like the upgrade's Origin check.
/// </summary>
internal static class StreamingEndpoints
{
    public static IEndpointRouteBuilder MapStreaming(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<StreamingOptions>>().Value.Enabled)
        {
            return app;
        }

        var stream = app.ServiceProvider.GetRequiredService<HttpStreamEndpoint>();
        app.MapGet(HttpStreamEndpoint.StreamPath, stream.OpenAsync).RequireCors(CrossOriginPolicies.Streaming).ExcludeFromDescription();
        app.MapPost(HttpStreamEndpoint.SendPath, stream.SendAsync).RequireCors(CrossOriginPolicies.Streaming).ExcludeFromDescription();
        var sse = app.ServiceProvider.GetRequiredService<SseEndpoint>();
        app.MapGet(SseEndpoint.Path, sse.OpenAsync).RequireCors(CrossOriginPolicies.Streaming).ExcludeFromDescription();
        return app;
    }
}
