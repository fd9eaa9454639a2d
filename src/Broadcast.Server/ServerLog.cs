namespace Broadcast.Server;

/// <summary>What the server logs about its own life (as opposed to connections, auth or the engine).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Critical, Message = "The server stopped because of a fault ({ErrorType}); exiting with code 70 so that its supervisor restarts it")]
    public static partial void StoppedByFault(ILogger logger, string errorType, Exception exception);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Critical, Message = "The server stopped because background service {Service} failed; exiting with code 70 so that its supervisor restarts it")]
    public static partial void StoppedByBackgroundFault(ILogger logger, string service, Exception exception);
}
