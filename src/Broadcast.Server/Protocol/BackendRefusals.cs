using System.Net.WebSockets;
using Broadcast.Server.Connections;
using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol;

/// <summary>How a refusal of the application's backend reaches the client, whatever the dialect: a close, or the dialect's error frame.</summary>
internal static class BackendRefusals
{
    /// <summary>
    /// Closes the connection when the backend asked for it (<see cref="BackendRefusal.CloseCode"/>; what is queued
    /// goes out first) and returns true; otherwise returns false and the caller answers with an error.
    /// </summary>
    public static bool CloseIfAsked(ClientSession session, BackendRefusal refusal)
    {
        if (refusal.CloseCode is not { } code)
        {
            return false;
        }

        session.Frames.Close((WebSocketCloseStatus)code, refusal.CloseReason, drainFirst: true);
        return true;
    }
}
