using System.Net.WebSockets;
using Broadcast.Server.Transport.WebSockets;

namespace Broadcast.Server.Connections;

/// <summary>
/// Serves <c>/ws/events</c>: admits the upgrade, authenticates it, accepts the WebSocket with the dialect the
/// client offered, registers the session, runs its receive loop and its writer, and always tears it down,
/// however the connection ends.
/// </summary>
internal sealed class WebSocketEndpoint(
    UpgradeAdmission admission,
    UpgradeAuthenticator authenticator,
    ClientDialects dialects,
    WebSocketTransport transport,
    SessionFactory sessions,
    ReceiveLoop receiveLoop,
    SessionTeardown teardown,
    ILogger<WebSocketEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var remoteAddress = context.Connection.RemoteIpAddress;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { error = "This endpoint speaks WebSocket only: send an upgrade request.", code = "websocket_required" });
            return;
        }

        if (!await admission.TryAdmitAsync(context, remoteAddress))
        {
            return;
        }

        try
        {
            await AcceptAsync(context, remoteAddress);
        }
        finally
        {
            admission.Release(remoteAddress);
        }
    }

    private async Task AcceptAsync(HttpContext context, System.Net.IPAddress? remoteAddress)
    {
        // Before the upgrade, so a client without a valid token gets a plain 401 and no WebSocket.
        var auth = await authenticator.AuthenticateAsync(context);
        if (auth.IsRefused)
        {
            await UpgradeAuthenticator.RefuseAsync(context, auth);
            return;
        }

        // The dialect is the one whose subprotocol the client offered; a client offering none speaks the original protocol.
        var dialect = dialects.Choose(context.WebSockets.WebSocketRequestedProtocols);
        var writer = await transport.AcceptAsync(context, sessions.NextId(), remoteAddress, dialect.Subprotocol);
        var session = sessions.Create(writer.Id, writer, remoteAddress, dialect, auth);
        ConnectionLog.Opened(logger, session.Id, remoteAddress);

        var writing = writer.RunWriterAsync();
        var reason = "aborted";
        try
        {
            await dialect.OpenAsync(session);
            sessions.Register(session);

            reason = await receiveLoop.RunAsync(session, writer);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer vanished, the keep-alive timed out, or the socket was aborted: not an error of ours.
            reason = writer.CloseRequest?.Label ?? "connection_lost";
        }
        catch (Exception ex)
        {
            // A fault of the server, not of the client: this connection alone closes with 1011. The
            // details go to the log only; the close reason stays empty so nothing internal leaks.
            ConnectionLog.ServerFault(logger, ex, session.Id);
            reason = "server_error";
            writer.Close(WebSocketCloseStatus.InternalServerError, "", drainFirst: false);
        }
        finally
        {
            await teardown.EndAsync(session, writer, writing, reason);
        }
    }
}
