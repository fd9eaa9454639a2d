namespace Broadcast.Server.Connections;

public static class WebSocketEndpointSetup
{
    public const string Path = "/ws/events";

    /// <summary>
    /// Handles upgrades to <see cref="Path"/> right after the WebSocket middleware, before static files, API
    /// documentation and routing. Every middleware a request passes through stays suspended in its await for as
    /// long as the WebSocket lives, so skipping them saves memory on every connection.
    /// </summary>
    internal static IApplicationBuilder UseBroadcastWebSocket(this IApplicationBuilder app)
    {
        var endpoint = app.ApplicationServices.GetRequiredService<WebSocketEndpoint>();
        return app.Use((context, next) =>
            HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals(Path, StringComparison.Ordinal) && IsExactTarget(context)
                ? endpoint.HandleAsync(context)
                : next(context));
    }

    /// <summary>
    /// True when the request named <see cref="Path"/> exactly as sent, before Kestrel decoded it
    /// (<c>/ws/%65vents</c>) or removed dot segments (<c>/ws/x/../events</c>): a proxy or firewall rule
    /// written for the exact path must see every request that upgrades.
    /// </summary>
    private static bool IsExactTarget(HttpContext context)
    {
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            // A host that keeps no raw target (an in-memory test host): the decoded path is all there is.
            return true;
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        return raw.AsSpan(0, query < 0 ? raw.Length : query).SequenceEqual(Path);
    }
}
