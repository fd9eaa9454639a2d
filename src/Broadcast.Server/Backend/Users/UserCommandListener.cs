using System.Net.WebSockets;
using System.Text.Json;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol;
using Broadcast.Server.Protocol.V2;
using Broadcast.Server.Security;

namespace Broadcast.Server.Backend.Users;

/// <summary>
/// Carries out, on this node, the actions on users that <see cref="UserActions"/> sent to every node: closes the
/// user's connections, or ends their subscription to a channel with an <c>unsubscribed</c> notice. Finds the
/// user's connections by walking this node's registry: these actions are rare, and a walk keeps no index to maintain.
/// </summary>
internal sealed partial class UserCommandListener(ConnectionRegistry registry, ChannelService channels, ILogger<UserCommandListener> logger) : INodeCommandListener
{
    public string Channel => UserChannels.Commands;

    public void Deliver(Publication publication)
    {
        if (Read(publication) is not { } command)
        {
            LogUnreadable(logger, publication.Offset);
            return;
        }

        switch (command.Action)
        {
            case UserCommand.Disconnect when command.Code is { } code && UserDisconnect.IsValidCode(code) && command.Reason is { } reason && UserDisconnect.IsValidReason(reason):
                Disconnect(command.User, code, reason);
                break;
            case UserCommand.Unsubscribe when ChannelName.IsValid(command.Channel):
                // Off the engine's delivery (the memory engine holds the channel's lock there), on the thread pool:
                // each connection waits for its own turn, and ending a subscription takes other channels' locks.
                var (user, channel) = (command.User, command.Channel!);
                _ = Task.Run(() => UnsubscribeAsync(user, channel));
                break;
            default:
                LogUnreadable(logger, publication.Offset);
                break;
        }
    }

    private void Disconnect(string user, int code, string reason)
    {
        var closed = 0;
        foreach (var session in OfUser(user))
        {
            // What is already queued for the client goes out first, then the close.
            if (session.Frames.Close((WebSocketCloseStatus)code, reason, drainFirst: true))
            {
                closed++;
            }
        }

        LogDisconnected(logger, user, closed, code);
    }

    private async Task UnsubscribeAsync(string user, string channel)
    {
        var ended = 0;
        foreach (var session in OfUser(user))
        {
            // A legacy client has no notice to receive (it must never get anything but its messages): it is left as it is.
            if (!session.Dialect.ReceivesServerNotices)
            {
                continue;
            }

            try
            {
                await session.Turn.WaitAsync();
                try
                {
                    if (await channels.UnsubscribeAsync(session, channel, CancellationToken.None))
                    {
                        session.Frames.TryEnqueue(ServerFrames.Unsubscribed(null, channel, ProtocolErrors.UnsubscribedByServer));
                        ended++;
                    }
                }
                finally
                {
                    session.Turn.Release();
                }
            }
            catch (Exception ex)
            {
                // One connection's failure (its engine call, say) must not spare the user's other connections.
                LogFailed(logger, ex, user, channel);
            }
        }

        LogUnsubscribed(logger, user, channel, ended);
    }

    private IEnumerable<ClientSession> OfUser(string user) =>
        registry.All().Where(session => string.Equals(session.UserId, user, StringComparison.Ordinal));

    private static UserCommand? Read(Publication publication)
    {
        try
        {
            // The message is the command's JSON as escaped string content: quote it back into a JSON string first.
            if (publication.Payload.Kind != PayloadKind.Message)
            {
                return null;
            }

            var quoted = new byte[publication.Payload.Bytes.Length + 2];
            quoted[0] = quoted[^1] = (byte)'"';
            publication.Payload.Bytes.CopyTo(quoted, 1);
            var json = JsonSerializer.Deserialize(quoted, UserCommandContext.Default.String);
            var command = json is null ? null : JsonSerializer.Deserialize(json, UserCommandContext.Default.UserCommand);
            return command is { Action: not null, User: { Length: > 0 } } ? command : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Disconnected user {User}: {Connections} connection(s) on this node closed with {Code}")]
    private static partial void LogDisconnected(ILogger logger, string user, int connections, int code);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Unsubscribed user {User} from {Channel}: {Connections} connection(s) on this node")]
    private static partial void LogUnsubscribed(ILogger logger, string user, string channel, int connections);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Ignored an unreadable user action at offset {Offset} of the internal channel")]
    private static partial void LogUnreadable(ILogger logger, long offset);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Warning, Message = "Could not unsubscribe a connection of user {User} from {Channel}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string user, string channel);
}
