using Broadcast.Server.Transport.WebSockets;

namespace Broadcast.Server.Connections;

/// <summary>
/// Serves <c>/ws/events</c>: admits the upgrade, authenticates it, accepts the WebSocket with the dialect the
/// client offered and hands it to the <see cref="SessionRunner"/>. This is the path through Kestrel's HTTP
/// pipeline (<c>Broadcast:WebSocketStack</c> = <c>Kestrel</c>, and every upgrade the connection-level
/// transport passes on).
/// </summary>
internal sealed class WebSocketEndpoint(
    UpgradeAdmission admission,
    UpgradeAuthenticator authenticator,
    ClientDialects dialects,
    WebSocketTransport transport,
    SessionRunner runner)
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
        var connection = await transport.AcceptAsync(context, runner.NextId(), remoteAddress, dialect.Subprotocol, runner.MessageLimits);
        await runner.RunAsync(connection, dialect, auth);
    }
}
