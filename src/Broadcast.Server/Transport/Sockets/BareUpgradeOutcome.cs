namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// How an upgrade on a bare socket was answered (<see cref="IBareSocketHandler.UpgradeAsync"/>): the WebSocket
/// session now running on it, which the listener waits for, or none (refused) and whether the socket goes on
/// to Kestrel for more requests.
/// </summary>
/// <param name="Session">The session, ending when the WebSocket does; null when the upgrade was refused or left to Kestrel.</param>
/// <param name="HandOff">True when the socket should go on to Kestrel (a refusal that keeps the connection, or nothing consumed).</param>
internal readonly record struct BareUpgradeOutcome(Task? Session, bool HandOff);
