using System.Net;

namespace Broadcast.Server.Connections;

/// <summary>Source-generated log messages for authentication. Tokens are never logged, only why one was refused.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Refused a WebSocket upgrade from {RemoteAddress}: {Code} ({Failure})")]
    public static partial void UpgradeRefused(ILogger logger, IPAddress? remoteAddress, string code, string failure);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Connection {ConnectionId}: token expired without a refresh; closing with 1008")]
    public static partial void Expired(ILogger logger, long connectionId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: token refresh refused ({Failure})")]
    public static partial void RefreshRefused(ILogger logger, long connectionId, string failure);
}
