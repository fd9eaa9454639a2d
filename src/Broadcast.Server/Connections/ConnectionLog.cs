using System.Net;

namespace Broadcast.Server.Connections;

/// <summary>Source-generated log messages for connections. Payloads and query strings are never logged.</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Connection {ConnectionId} opened from {RemoteAddress}")]
    public static partial void Opened(ILogger logger, long connectionId, IPAddress? remoteAddress);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Connection {ConnectionId} closed: {Reason} (close status {CloseStatus})")]
    public static partial void Closed(ILogger logger, long connectionId, string reason, int? closeStatus);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Connection {ConnectionId} sent an invalid message: {ErrorCode}")]
    public static partial void Rejected(ILogger logger, long connectionId, string errorCode);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Connection {ConnectionId} sent a message of more than {Limit} bytes; closing with 1009")]
    public static partial void TooBig(ILogger logger, long connectionId, int limit);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Refused a WebSocket upgrade from {RemoteAddress}: {Reason}")]
    public static partial void Refused(ILogger logger, IPAddress? remoteAddress, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Shutting down: closing {Count} connections with 1001 (drain timeout {Timeout})")]
    public static partial void Draining(ILogger logger, int count, TimeSpan timeout);


    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Broadcast:Limits:AllowedOrigins contains '*': any web page, on any site, may open WebSockets to this server (cross-site WebSocket hijacking). List the origins instead.")]
    public static partial void AnyOriginAllowed(ILogger logger);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Trace, Message = "Connection {TransportConnectionId}: a WebSocket upgrade of {Path} read at the connection level")]
    public static partial void UpgradeRead(ILogger logger, string transportConnectionId, string path);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Connection {ConnectionId} hit a server fault; closing it with 1011")]
    public static partial void ServerFault(ILogger logger, Exception exception, long connectionId);
}
