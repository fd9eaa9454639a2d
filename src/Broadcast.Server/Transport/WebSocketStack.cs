namespace Broadcast.Server.Transport;

/// <summary>Which transport serves WebSocket upgrades of HTTP/1.1 (<c>Broadcast:WebSocketStack</c>).</summary>
public enum WebSocketStack
{
    /// <summary>Through Kestrel's HTTP pipeline: ASP.NET Core accepts the upgrade, the runtime's WebSocket reads.</summary>
    Kestrel,

    /// <summary>At the connection level (the default): the server reads the upgrade, answers 101 and parses frames itself.</summary>
    Connection,
}
