namespace Broadcast.Server.Security;

/// <summary>Where a connection's principal came from, which decides how it is extended when it runs out.</summary>
public enum PrincipalSource
{
    /// <summary>A JWT: the client sends a fresh one (<c>auth</c>), or is closed.</summary>
    Token,

    /// <summary>The application's backend (the connect proxy): the refresh proxy extends it, when configured.</summary>
    Backend,
}
