using System.Net;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>Source-generated log messages of the server's own socket listener.</summary>
internal static partial class SocketLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Accepting a connection on {EndPoint} failed; still listening")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Serving a socket failed; it was closed")]
    public static partial void ServeFailed(ILogger logger, Exception exception);
}
