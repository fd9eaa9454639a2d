using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Broadcast.Server.Connections;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Engines;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Protocol;

/// <summary>
/// Answers the requests of a <c>broadcast.v2</c> connection: hello, subscribe, unsubscribe, publish,
/// history, presence and auth (docs/protocol.md). Every failure is an error frame; none ends the connection.
/// Channel requests are checked against the connection's permissions first (<c>forbidden</c>).
/// </summary>
internal sealed class ExtendedProtocolHandler(
    ChannelService channels,
    NodeIdentity node,
    BroadcastMetrics metrics,
    Security.ChannelAuthorizer authorizer,
    Security.ConnectionAuthenticator authenticator,
    Sessions.ISessionOwners sessionOwners,
    Security.ClientBudgets budgets,
    IOptions<BroadcastOptions> options)
{
    private const int DefaultHistoryLimit = 100;

    /// <summary>Room for a history reply's fields besides its publications (type, id, channel, epoch…).</summary>
    private const int HistoryReplyFields = 512;
    private readonly BroadcastOptions _options = options.Value;

    public async ValueTask HandleAsync(ClientConnection connection, ClientRequest request)
    {
        // Every request but a publish (which has budgets of its own) counts here, malformed ones too.
        if ((request.Type != ClientRequest.Publish || request.Error is not null) && budgets.TryRequest(connection) is { IsAllowed: false } refused)
        {
            RejectOverBudget(connection, refused, request, Security.ClientBudgets.RequestFloodReason);
            return;
        }

        if (request.Error is { } error)
        {
            Reject(connection, error, request);
            return;
        }

        // A token may be refreshed before hello too: it belongs to the connection, not to the session.
        if (!connection.HasGreeted && request.Type is not (ClientRequest.Hello or ClientRequest.Auth))
        {
            Reject(connection, ProtocolErrors.HelloRequired, request);
            return;
        }

        try
        {
            switch (request.Type)
            {
                case ClientRequest.Hello:
                    await HelloAsync(connection, request);
                    break;
                case ClientRequest.Auth:
                    await AuthenticateAsync(connection, request);
                    break;
                case ClientRequest.Subscribe:
                    await SubscribeAsync(connection, request);
                    break;
                case ClientRequest.Unsubscribe:
                    await UnsubscribeAsync(connection, request);
                    break;
                case ClientRequest.Publish:
                    await PublishAsync(connection, request);
                    break;
                case ClientRequest.History:
                    await HistoryAsync(connection, request);
                    break;
                case ClientRequest.Presence:
                    await PresenceAsync(connection, request);
                    break;
                default:
                    Reject(connection, ProtocolErrors.TypeUnknown, request);
                    break;
            }
        }
        catch (EngineUnavailableException)
        {
            Reject(connection, ProtocolErrors.EngineUnavailable, request);
        }
    }

    /// <summary>
    /// Starts a session, or resumes the one whose token the client sent. The token is the credential and
    /// goes to this client only; everyone else sees the public id derived from it. A session bound to a
    /// user (the token's <c>sub</c>) may be resumed by that user only; a public id is never a token.
    /// A refused hello leaves the connection waiting for another.
    /// </summary>
    private async ValueTask HelloAsync(ClientConnection connection, ClientRequest request)
    {
        if (connection.HasGreeted)
        {
            Reject(connection, ProtocolErrors.HelloRepeated, request);
            return;
        }

        var resuming = request.Session is not null;
        if (resuming && Sessions.SessionId.IsPublicId(request.Session!))
        {
            Reject(connection, ProtocolErrors.SessionForbidden, request);
            return;
        }

        var token = request.Session ?? Sessions.SessionId.New();
        var publicId = Sessions.SessionId.PublicIdOf(token);
        if (!await sessionOwners.TryClaimAsync(publicId, connection.Principal?.UserId, isNew: !resuming, CancellationToken.None))
        {
            Reject(connection, ProtocolErrors.SessionForbidden, request);
            return;
        }

        connection.HasGreeted = true;
        connection.Session = publicId;
        connection.Name = request.Name;
        connection.TryEnqueue(ServerFrames.Welcome(token, publicId, resuming, node.Id, _options.MaxMessageBytes, _options.Channels.MaxChannelsPerConnection));
    }

    private async ValueTask AuthenticateAsync(ClientConnection connection, ClientRequest request)
    {
        var (principal, error) = authenticator.Refresh(connection, request.Token);
        if (principal is null)
        {
            Reject(connection, error ?? ProtocolErrors.TokenInvalid, request);
            return;
        }

        // The new token's permissions apply to what the connection already has, not only to what it asks
        // for next: a subscription the token no longer allows ends now (a revoked permission must stop the
        // flow), and the client is told so. The notices come before the reply, so a client that awaited
        // the refresh already knows which subscriptions are gone.
        foreach (var channel in connection.Subscriptions.Keys.ToArray())
        {
            if (!authorizer.CanSubscribe(connection, channel) && await channels.UnsubscribeAsync(connection, channel, CancellationToken.None))
            {
                connection.TryEnqueue(ServerFrames.Unsubscribed(null, channel, ProtocolErrors.Forbidden));
            }
        }

        connection.TryEnqueue(ServerFrames.Authenticated(request.Id, principal.UserId, principal.ExpiresAt));
    }

    private async ValueTask SubscribeAsync(ClientConnection connection, ClientRequest request)
    {
        if (!TryReadableChannel(connection, request, out var channel))
        {
            return;
        }

        if (request.SinceGiven && request.SincePosition is null)
        {
            Reject(connection, ProtocolErrors.SinceInvalid, request);
            return;
        }

        var outcome = await channels.SubscribeAsync(
            connection,
            channel,
            request.SincePosition,
            request.WantsPresence,
            (position, recovered, missed) => ServerFrames.Subscribed(request.Id, channel, position, recovered, missed),
            CancellationToken.None);
        if (outcome.Error is { } error)
        {
            Reject(connection, error, request);
        }
    }

    private async ValueTask UnsubscribeAsync(ClientConnection connection, ClientRequest request)
    {
        if (request.Channel is not { } channel)
        {
            Reject(connection, ProtocolErrors.ChannelInvalid, request);
            return;
        }

        if (!await channels.UnsubscribeAsync(connection, channel, CancellationToken.None))
        {
            Reject(connection, ProtocolErrors.NotSubscribed, request);
            return;
        }

        connection.TryEnqueue(ServerFrames.Unsubscribed(request.Id, channel));
    }

    private async ValueTask PublishAsync(ClientConnection connection, ClientRequest request)
    {
        if (request.Channel is not { } channel)
        {
            Reject(connection, ProtocolErrors.ChannelInvalid, request);
            return;
        }

        if (!authorizer.CanPublish(connection, channel))
        {
            Reject(connection, ProtocolErrors.Forbidden, request);
            return;
        }

        if (request.EscapedMessage is not { } message)
        {
            Reject(connection, request.MessageError ?? ProtocolErrors.MessageMissing, request);
            return;
        }

        if (budgets.TryPublish(connection, channel, message.Length) is { IsAllowed: false } refused)
        {
            RejectOverBudget(connection, refused, request, Security.ClientBudgets.PublishFloodReason);
            return;
        }

        metrics.MessageReceived();
        var result = await channels.PublishAsync(channel, connection.Session, request.Id, message, CancellationToken.None);
        if (request.Id is not null)
        {
            connection.TryEnqueue(ServerFrames.Ack(request.Id, channel, result.Position, result.Duplicate));
        }
    }

    private async ValueTask HistoryAsync(ClientConnection connection, ClientRequest request)
    {
        if (!TryReadableChannel(connection, request, out var channel))
        {
            return;
        }

        if (request.SinceGiven && request.SinceOffset is null)
        {
            Reject(connection, ProtocolErrors.SinceInvalid, request);
            return;
        }

        // A page fits what the client's queue still holds (less room for the reply's own fields): a client
        // that reads gets the rest by asking again; one that asks and never reads is closed once it is full.
        var budget = Math.Min(_options.HistoryPageBytes, connection.FreeQueueBytes - HistoryReplyFields);
        var page = await HistoryPage.ReadAsync(channels, channel, request.SinceOffset ?? 0, request.Limit ?? DefaultHistoryLimit, budget, CancellationToken.None);
        connection.TryEnqueue(ServerFrames.History(request.Id, channel, page));
    }

    private async ValueTask PresenceAsync(ClientConnection connection, ClientRequest request)
    {
        if (!TryReadableChannel(connection, request, out var channel))
        {
            return;
        }

        var members = await channels.GetPresenceAsync(channel, CancellationToken.None);
        connection.TryEnqueue(ServerFrames.Presence(request.Id, channel, members));
    }

    /// <summary>
    /// The request's channel, if it names a valid one the connection may read (subscribe, history and
    /// presence all show what subscribing would show, so they need the same permission); otherwise the
    /// error is sent and false returned.
    /// </summary>
    private bool TryReadableChannel(ClientConnection connection, ClientRequest request, out string channel)
    {
        channel = request.Channel ?? "";
        if (request.Channel is null)
        {
            Reject(connection, ProtocolErrors.ChannelInvalid, request);
            return false;
        }

        if (!authorizer.CanSubscribe(connection, channel))
        {
            Reject(connection, ProtocolErrors.Forbidden, request);
            return false;
        }

        return true;
    }

    /// <summary>Answers <c>rate_limited</c>; a client that went on through too many of them is closed with 1008 after the answer.</summary>
    private void RejectOverBudget(ClientConnection connection, Security.BudgetVerdict refused, ClientRequest request, string floodReason)
    {
        Reject(connection, refused.Error!, request);
        if (refused.CloseConnection)
        {
            connection.CloseForFlooding(floodReason);
        }
    }

    private void Reject(ClientConnection connection, ProtocolError error, ClientRequest request)
    {
        metrics.MessageRejected(error.Code);
        connection.TryEnqueue(ServerFrames.Error(error, request.Id, request.Channel));
    }
}
