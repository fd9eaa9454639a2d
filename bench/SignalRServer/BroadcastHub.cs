using System.Globalization;
using Microsoft.AspNetCore.SignalR;

namespace Broadcast.Baselines.SignalR;

/// <summary>
/// Clients call <c>Broadcast(text)</c>; every other client gets <c>message</c> with one argument shaped
/// like the server's legacy frame, <c>{"message":"…","timestamp":"…"}</c>, as close as SignalR's envelope allows.
/// </summary>
public sealed class BroadcastHub : Hub
{
    public Task Broadcast(string message) =>
        Clients.Others.SendAsync("message", new BroadcastMessage(message, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture)));
}
