namespace Broadcast.Server.Http;

/// <summary>What the server says at start-up about its admin API, so an operator learns how it is reachable.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "The admin API (/api/admin) and page (/admin) are off: set Broadcast:Admin:Key (Broadcast__Admin__Key) to a random secret of 16 characters or more to enable them (or Broadcast:Admin:AllowAnonymous=true, for local development only)")]
    public static partial void Off(ILogger logger);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "The admin API (/api/admin) and page (/admin) are on; every request needs the admin key (X-Admin-Key)")]
    public static partial void KeyRequired(ILogger logger);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "The admin API (/api/admin) and page (/admin) are open to anyone who reaches this server, without a key (Broadcast:Admin:AllowAnonymous=true): for local development only; set Broadcast:Admin:Key anywhere else")]
    public static partial void Anonymous(ILogger logger);
}
