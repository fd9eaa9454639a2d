using System.Net;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.HttpStreaming;

/// <summary>
/// HTTP streaming's shared parts (the flush scheduler, the observer, the settings, the keep-alive timer):
/// starts a streaming response and gives it its <see cref="HttpStreamConnection"/>.
/// </summary>
internal sealed class HttpStreamTransport(FlushScheduler flusher, ITransportObserver observer, IOptions<TransportOptions> options, ResponseKeepAlive keepAlive, ILogger<HttpStreamConnection> logger)
{
    public const string ContentType = "application/x-ndjson; charset=utf-8";

    /// <summary>
    /// Sends the response's head (200, newline-delimited JSON, never cached or buffered by a proxy) and
    /// returns the connection that writes the rest of it (nothing is written until something is queued).
    /// </summary>
    public async Task<HttpStreamConnection> StartAsync(HttpContext context, long id, IPAddress? remoteAddress)
    {
        PrepareStreamingResponse(context.Response, ContentType);
        await context.Response.StartAsync(context.RequestAborted);
        var connection = new HttpStreamConnection(id, remoteAddress, context.Response.Body, context.RequestAborted, context.Abort, options.Value, flusher, observer, logger);
        keepAlive.Add(connection);
        return connection;
    }

    public void Forget(ResponseStreamConnection connection) => keepAlive.Remove(connection);

    /// <summary>The headers of a response that streams: no caching, no buffering by proxies (nginx's <c>X-Accel-Buffering</c>), no compression.</summary>
    public static void PrepareStreamingResponse(HttpResponse response, string contentType)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache, no-store, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        response.Headers["X-Content-Type-Options"] = "nosniff";

        // Kestrel would otherwise buffer nothing anyway, but a response-buffering or compression feature must not hold frames back.
        response.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}
