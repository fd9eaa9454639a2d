namespace Broadcast.Client;

/// <summary>Where the client's connection is.</summary>
public enum ConnectionState
{
    /// <summary>No connection: not connected yet, dropped, or disposed.</summary>
    Disconnected,

    /// <summary>Opening a WebSocket and waiting for <c>welcome</c>.</summary>
    Connecting,

    /// <summary>The session is established; requests flow.</summary>
    Connected,

    /// <summary>Waiting out the backoff delay before the next attempt.</summary>
    Reconnecting,
}
