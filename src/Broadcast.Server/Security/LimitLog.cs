using System.Net;

namespace Broadcast.Server.Security;

/// <summary>Source-generated log messages of the per-address socket limit.</summary>
internal static partial class LimitLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Closed a TCP connection from {RemoteAddress} before reading it: that address holds {Limit} already (Broadcast:Limits:MaxSocketsPerAddress)")]
    public static partial void SocketRefused(ILogger logger, IPAddress remoteAddress, int limit);
}
