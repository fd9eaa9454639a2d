namespace Broadcast.Client;

/// <summary>
/// One WebSocket connection as the client needs it: text frames in and out. The seam lets unit tests
/// drive the reconnect and resume logic without a network.
/// </summary>
internal interface IClientTransport : IDisposable
{
    /// <summary>Opens the connection offering the <c>broadcast.v2</c> subprotocol; throws if the server does not take it.</summary>
    Task ConnectAsync(Uri uri, CancellationToken cancellationToken);

    /// <summary>Sends one text frame (UTF-8). Called by one writer at a time.</summary>
    Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken);

    /// <summary>The next whole text frame, or null once the connection has ended. Called by one reader at a time.</summary>
    Task<string?> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Starts a normal close (1000).</summary>
    Task CloseAsync(CancellationToken cancellationToken);

    /// <summary>Ends the connection at once; pending sends and receives fail.</summary>
    void Abort();
}
