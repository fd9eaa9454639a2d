using System.Net;
using Broadcast.Server.Transport.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// Accepts WebSocket upgrades and gives each connection its writer, with the transport's shared parts: the
/// flush scheduler (the writer threads), the observer and the settings.
/// </summary>
internal sealed class WebSocketTransport(FlushScheduler flusher, ITransportObserver observer, IOptions<TransportOptions> options, PerMessageDeflate deflate, ILogger<WebSocketWriter> logger)
{
    private readonly TransportOptions _options = options.Value;

    /// <summary>Completes the upgrade (with <paramref name="subProtocol"/>, if any) and returns the connection, read within <paramref name="limits"/>.</summary>
    public async Task<IClientConnection> AcceptAsync(HttpContext context, long id, IPAddress? remoteAddress, string? subProtocol, MessageLimits limits)
    {
        // Only an HTTP/1.1 upgrade, whose stream the writer owns, may compress (see WebSocketUpgrade).
        var extension = context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
            ? deflate.Negotiate(context.Request.Headers.SecWebSocketExtensions)
            : null;
        var (socket, output) = await WebSocketUpgrade.AcceptAsync(
            context,
            subProtocol,
            _options.KeepAliveInterval,
            _options.KeepAliveInterval > TimeSpan.Zero ? _options.KeepAliveTimeout : Timeout.InfiniteTimeSpan,
            extension);
        return new WebSocketConnection(CreateWriter(id, socket, output, remoteAddress, compressed: extension is not null), limits);
    }

    /// <summary>
    /// A writer for a socket accepted elsewhere (tests, benchmarks); <paramref name="output"/> null sends frame by
    /// frame. <paramref name="compressed"/>: as if the connection negotiated permessage-deflate.
    /// </summary>
    public WebSocketWriter CreateWriter(long id, System.Net.WebSockets.WebSocket socket, SharedWriteStream? output, IPAddress? remoteAddress, int? queueCapacity = null, bool compressed = false)
    {
        var options = queueCapacity is { } capacity ? Copy(capacity) : _options;
        return new WebSocketWriter(id, socket, output, remoteAddress, options, flusher, observer, logger)
        {
            Compression = compressed ? deflate.Compression : null,
        };
    }

    private TransportOptions Copy(int queueCapacity) => new()
    {
        OutboundQueueCapacity = queueCapacity,
        OutboundQueueBytes = _options.OutboundQueueBytes,
        KeepAliveInterval = _options.KeepAliveInterval,
        KeepAliveTimeout = _options.KeepAliveTimeout,
        FlushInterval = _options.FlushInterval,
        FlushIntervalMax = _options.FlushIntervalMax,
        FlushIntervalSparseMax = _options.FlushIntervalSparseMax,
        CloseTimeout = _options.CloseTimeout,
    };
}
