using System.Text.Json;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;

namespace Broadcast.Server.Backend.Users;

/// <summary>
/// The application's actions on one user, on every node: each is published on the internal channel
/// <see cref="UserChannels.Commands"/> through the engine, which routes it like any publication to every node
/// (this one included), where <see cref="UserCommandListener"/> carries it out on that node's connections of the user.
/// </summary>
public sealed class UserActions(IStreamEngine engine)
{
    /// <summary>Closes every connection of <paramref name="user"/> with <paramref name="code"/> and <paramref name="reason"/> (checked by the caller).</summary>
    public ValueTask DisconnectAsync(string user, int code, string reason, CancellationToken cancellationToken) =>
        SendAsync(new UserCommand(UserCommand.Disconnect, user, Code: code, Reason: reason), cancellationToken);

    /// <summary>Ends the subscription to <paramref name="channel"/> of every (v2) connection of <paramref name="user"/>.</summary>
    public ValueTask UnsubscribeAsync(string user, string channel, CancellationToken cancellationToken) =>
        SendAsync(new UserCommand(UserCommand.Unsubscribe, user, Channel: channel), cancellationToken);

    /// <remarks>Throws <see cref="EngineUnavailableException"/> when the engine could not take the command.</remarks>
    private async ValueTask SendAsync(UserCommand command, CancellationToken cancellationToken)
    {
        // A publication's message is escaped JSON string content: the command's JSON, as a string.
        var json = JsonSerializer.Serialize(command, UserCommandContext.Default.UserCommand);
        var quoted = JsonSerializer.SerializeToUtf8Bytes(json, UserCommandContext.Default.String);
        // Straight to the engine: a command is not a publication of the application's (not counted as one).
        await engine.PublishAsync(UserChannels.Commands, SessionId.Http, null, quoted[1..^1], cancellationToken);
    }
}
