using System.Net;
using Broadcast.Server.Transport.HttpStreaming;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>SSE's shared parts: starts an event stream and gives it its <see cref="SseConnection"/>.</summary>
internal sealed class SseTransport(FlushScheduler flusher, ITransportObserver observer, IOptions<TransportOptions> options, ResponseKeepAlive keepAlive, ILogger<SseConnection> logger)
{
    public async Task<SseConnection> StartAsync(HttpContext context, long id, IPAddress? remoteAddress, IEnumerable<SsePosition> resumed)
    {
        HttpStreamTransport.PrepareStreamingResponse(context.Response, SseConnection.ContentType);
        await context.Response.StartAsync(context.RequestAborted);
        var connection = new SseConnection(id, remoteAddress, context.Response.Body, context.RequestAborted, context.Abort, resumed, options.Value, flusher, observer, logger);
        keepAlive.Add(connection);
        return connection;
    }

    public void Forget(ResponseStreamConnection connection) => keepAlive.Remove(connection);
}
