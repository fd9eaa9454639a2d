using System.Net.WebSockets;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// One admitted, authenticated client's life over whichever transport carries it: the session is created and
/// opened by its dialect, registered, fed every message until the connection ends, and always torn down.
/// </summary>
internal sealed class SessionRunner(
    SessionFactory sessions,
    ReceiveLoop receiveLoop,
    SessionTeardown teardown,
    IOptions<ConnectionOptions> options,
    IOptions<LimitsOptions> limits,
    ILogger<SessionRunner> logger)
{
    /// <summary>What one inbound message may be (<c>Broadcast:MaxMessageBytes</c>, <c>Broadcast:Limits:MaxFragmentsPerMessage</c>).</summary>
    public MessageLimits MessageLimits { get; } = new(options.Value.MaxMessageBytes, limits.Value.MaxFragmentsPerMessage);

    public long NextId() => sessions.NextId();

    /// <summary>Runs the session of an accepted connection, whoever accepted it, with what its upgrade's authentication found.</summary>
    public async Task RunAsync(IClientConnection connection, IClientDialect dialect, UpgradeAuthentication auth)
    {
        var session = sessions.Create(connection.Id, connection.Frames, connection.RemoteAddress, dialect, auth, connection.Transport);
        ConnectionLog.Opened(logger, session.Id, connection.RemoteAddress);

        var reason = "aborted";
        try
        {
            await dialect.OpenAsync(session);
            sessions.Register(session);

            reason = await receiveLoop.RunAsync(session, connection, MessageLimits.MaxBytes);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer vanished, the keep-alive timed out, or the socket was aborted: not an error of ours.
            reason = connection.CloseRequest?.Label ?? "connection_lost";
        }
        catch (Exception ex)
        {
            // A fault of the server, not of the client: this connection alone closes with 1011. The
            // details go to the log only; the close reason stays empty so nothing internal leaks.
            ConnectionLog.ServerFault(logger, ex, session.Id);
            reason = "server_error";
            connection.Frames.Close(WebSocketCloseStatus.InternalServerError, "", drainFirst: false);
        }
        finally
        {
            await teardown.EndAsync(session, connection, reason);
        }
    }
}
