namespace Broadcast.Server.Http;

/// <summary>How the admin API and page are reachable (<see cref="AdminOptions"/>).</summary>
public enum AdminAccess
{
    /// <summary>No key and not opened for development: the API answers 404, the page says how to enable it.</summary>
    Off,

    /// <summary>A key is configured: the API answers 401 without it.</summary>
    KeyRequired,

    /// <summary>Opened without a key (<c>Broadcast:Admin:AllowAnonymous</c>): local development only.</summary>
    Anonymous,
}
