using System.Net.WebSockets;
using Broadcast.Server.Channels;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Connections;

/// <summary>
/// The end of every connection, however it ended: unregistered, its publishes in flight finished, its
/// subscriptions ended, the close written (or the socket aborted), and counted.
/// </summary>
internal sealed class SessionTeardown(ConnectionRegistry registry, ChannelService channels, IConnectionObserver metrics, ILogger<SessionTeardown> logger)
{
    public async Task EndAsync(ClientSession session, IClientConnection connection, string reason)
    {
        registry.Remove(session);
        await FinishPublishesAsync(session);
        // In the session's turn: a server action on its subscriptions may be under way.
        await session.Turn.WaitAsync();
        try
        {
            await channels.UnsubscribeAllAsync(session);
        }
        finally
        {
            session.Turn.Release();
        }

        connection.Frames.Close(WebSocketCloseStatus.NormalClosure, "", drainFirst: false);
        await connection.WhenWrittenAsync();
        // No Abort here: the writer has finished, and aborting would reset the TCP connection,
        // which can destroy a close frame (1007, 1002, 1009) the client has not read yet.
        session.DisposeResources();
        var peerStatus = connection.PeerCloseStatus;
        connection.Dispose();
        metrics.ConnectionClosed(session.Dialect.Name, connection.Transport, reason, peerStatus, DateTimeOffset.UtcNow - session.ConnectedAt);
        ConnectionLog.Closed(logger, session.Id, reason, peerStatus);
    }

    /// <summary>Lets a client's publishes still in flight finish (or fail) before it goes.</summary>
    private async Task FinishPublishesAsync(ClientSession session)
    {
        if (session.Publishes is not { } publishes)
        {
            return;
        }

        try
        {
            await publishes.DrainAsync();
        }
        catch (Exception ex)
        {
            ConnectionLog.ServerFault(logger, ex, session.Id);
        }
    }
}
