using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Protocol.V2;

/// <summary>
/// The <c>broadcast.v2</c> dialect: answers hello, subscribe, unsubscribe, publish, history, presence and
/// auth (docs/protocol.md). Every failure is an error frame; none ends the connection. Channel requests are
/// checked against the connection's permissions first (<c>forbidden</c>). Replies keep the order of the
/// requests: publishes may be in flight together (<see cref="PublishGate"/>), anything else waits for them.
/// </summary>
internal sealed class V2Dialect(
    ChannelService channels,
    NodeIdentity node,
    IConnectionObserver metrics,
    ChannelAuthorizer authorizer,
    IBackendHooks backend,
    IRpcBackend rpc,
    SessionPrincipal principals,
    ISessionOwners sessionOwners,
    ClientBudgets budgets,
    PublishGate gate,
    V2Encoding encoding,
    IOptions<ConnectionOptions> connectionOptions,
    IOptions<ChannelOptions> channelOptions,
    IOptions<HistoryPageOptions> historyOptions,
    TimeProvider clock,
    IOptions<AuthOptions> authOptions,
    ILogger<V2Dialect> logger) : IClientDialect, IPublishAnswers
{
    /// <summary>The subprotocol a client offers to speak the extended protocol (docs/protocol.md).</summary>
    public const string ExtendedSubprotocol = "broadcast.v2";

    private const int DefaultHistoryLimit = 100;

    /// <summary>Room for a history reply's fields besides its publications (type, id, channel, epoch…).</summary>
    private const int HistoryReplyFields = 512;

    private readonly int _maxMessageBytes = connectionOptions.Value.MaxMessageBytes;
    private readonly int _maxChannels = channelOptions.Value.MaxChannelsPerConnection;
    private readonly int _historyPageBytes = historyOptions.Value.HistoryPageBytes;
    private readonly bool _userChannels = authOptions.Value.UserChannels;

    public string Name => "v2";

    public string? Subprotocol => ExtendedSubprotocol;

    public IChannelEncoding Encoding => encoding;

    public ValueTask OpenAsync(ClientSession session) => ValueTask.CompletedTask;

    public ValueTask HandleAsync(ClientSession session, ReadOnlySpan<byte> message, bool isBinary)
    {
        if (isBinary)
        {
            // The same error frame as the original protocol's (it is the transport's rule, not a request's).
            return RejectBinaryAsync(session);
        }

        // Parsed before the buffer is reused; answered possibly later (engine calls).
        return Handle(session, ClientRequestParser.Parse(message));
    }

    /// <summary>
    /// Answers one parsed request, whatever encoding it came in (JSON here, MessagePack by <c>broadcast.v2.msgpack</c>,
    /// whose frames carry the same fields): the replies go to the session's frame sink, which encodes them for its client.
    /// </summary>
    public ValueTask Handle(ClientSession session, ClientRequest request)
    {
        if (request.Type == ClientRequest.Publish && request.Error is null && request.Channel is { } channel && session.HasGreeted)
        {
            return PublishAsync(session, request, channel);
        }

        return HandleRequestAsync(session, request);
    }

    private async ValueTask RejectBinaryAsync(ClientSession session)
    {
        await PublishGate.WaitForPublishesAsync(session);
        metrics.MessageRejected(ProtocolErrors.BinaryNotSupported.Code);
        ConnectionLog.Rejected(logger, session.Id, ProtocolErrors.BinaryNotSupported.Code);
        session.Frames.TryEnqueue(ProtocolErrors.BinaryNotSupported.Frame);
    }

    private async ValueTask HandleRequestAsync(ClientSession connection, ClientRequest request)
    {
        // Answered after every publish still in flight, so replies keep the order of the requests.
        await PublishGate.WaitForPublishesAsync(connection);

        // Every request but a publish (which has budgets of its own) counts here, malformed ones too.
        if ((request.Type != ClientRequest.Publish || request.Error is not null) && connection.Budget is { } budget && budgets.TryRequest(budget) is { IsAllowed: false } refused)
        {
            RejectOverBudget(connection, refused, request, ClientBudgets.RequestFloodReason);
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
                    // Only a publish without a valid channel, or before hello, comes here.
                    Reject(connection, ProtocolErrors.ChannelInvalid, request);
                    break;
                case ClientRequest.History:
                    await HistoryAsync(connection, request);
                    break;
                case ClientRequest.Presence:
                    await PresenceAsync(connection, request);
                    break;
                case ClientRequest.Rpc:
                    await RpcAsync(connection, request);
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
    private async ValueTask HelloAsync(ClientSession connection, ClientRequest request)
    {
        if (connection.HasGreeted)
        {
            Reject(connection, ProtocolErrors.HelloRepeated, request);
            return;
        }

        var resuming = request.Session is not null;
        if (resuming && SessionId.IsPublicId(request.Session!))
        {
            Reject(connection, ProtocolErrors.SessionForbidden, request);
            return;
        }

        var token = request.Session ?? SessionId.New();
        var publicId = SessionId.PublicIdOf(token);
        if (!await sessionOwners.TryClaimAsync(publicId, connection.Principal?.UserId, isNew: !resuming, CancellationToken.None))
        {
            Reject(connection, ProtocolErrors.SessionForbidden, request);
            return;
        }

        connection.HasGreeted = true;
        connection.Session = publicId;
        connection.Name = request.Name;
        connection.Frames.TryEnqueueReply(ServerFrames.Welcome(
            token, publicId, resuming, node.Id, _maxMessageBytes, _maxChannels, authorizer.PermissionsOf(connection.Principal), connection.UserId, clock.GetUtcNow().UtcDateTime, connection.ConnectData));
        await SubscribeServerSideAsync(connection);
    }

    /// <summary>
    /// The subscriptions the server makes by itself after <c>welcome</c>: the principal's channels (the token's
    /// <c>channels</c> claim, the connect proxy's <c>channels</c>) and, when on, the user's channel. Each gets a
    /// <c>subscribed</c> frame without an <c>id</c> (no request asked for it), starting live; one that fails gets
    /// an error frame without an <c>id</c>.
    /// </summary>
    private async ValueTask SubscribeServerSideAsync(ClientSession connection)
    {
        if (connection.Principal is not { } principal)
        {
            return;
        }

        var wanted = new List<string>(principal.Channels);
        if (_userChannels && principal.UserId is { } user && ChannelName.IsValid(UserChannels.For(user)))
        {
            wanted.Add(UserChannels.For(user));
        }

        foreach (var channel in wanted.Distinct(StringComparer.Ordinal))
        {
            if (!ChannelName.IsValid(channel))
            {
                connection.Frames.TryEnqueue(ServerFrames.Error(ProtocolErrors.ChannelInvalid, null, null));
                continue;
            }

            if (connection.Subscriptions.ContainsKey(channel))
            {
                continue;
            }

            var outcome = await channels.SubscribeAsync(
                connection,
                channel,
                null,
                false,
                (position, recovered, missed) => ServerFrames.Subscribed(null, channel, position, recovered, missed),
                CancellationToken.None);
            if (outcome.Failure != SubscribeFailure.None)
            {
                connection.Frames.TryEnqueue(ServerFrames.Error(ProtocolErrors.For(outcome.Failure), null, channel));
            }
        }
    }

    private async ValueTask AuthenticateAsync(ClientSession connection, ClientRequest request)
    {
        var refresh = await principals.RefreshAsync(connection, request.Token, CancellationToken.None);
        if (refresh.Principal is not { } principal)
        {
            Reject(connection, ProtocolErrors.For(refresh.Refusal), request);
            return;
        }

        // The new token's permissions apply to what the connection already has, not only to what it asks
        // for next: a subscription the token no longer allows ends now (a revoked permission must stop the
        // flow), and the client is told so. The notices come before the reply, so a client that awaited
        // the refresh already knows which subscriptions are gone.
        foreach (var channel in connection.Subscriptions.Keys.ToArray())
        {
            // The backend allowed subscriptions on the channels the subscribe proxy covers: a token does not revoke those.
            if (!backend.AsksOnSubscribe(channel) && !authorizer.CanSubscribe(connection.Principal, channel) && await channels.UnsubscribeAsync(connection, channel, CancellationToken.None))
            {
                connection.Frames.TryEnqueue(ServerFrames.Unsubscribed(null, channel, ProtocolErrors.Forbidden));
            }
        }

        connection.Frames.TryEnqueueReply(ServerFrames.Authenticated(request.Id, principal.UserId, principal.ExpiresAt, authorizer.PermissionsOf(principal)));
    }

    private async ValueTask SubscribeAsync(ClientSession connection, ClientRequest request)
    {
        if (request.Channel is { } proxied && backend.AsksOnSubscribe(proxied) && !UserChannels.Is(proxied))
        {
            // The subscribe proxy covers this channel: the application's backend decides, not the token's patterns.
            if (await backend.SubscribeAsync(connection.ForBackend(), proxied, CancellationToken.None) is { } refusal)
            {
                RejectForBackend(connection, refusal, request);
                return;
            }
        }
        else if (!TryReadableChannel(connection, request, out _))
        {
            return;
        }

        var channel = request.Channel!;

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
        if (outcome.Failure != SubscribeFailure.None)
        {
            Reject(connection, ProtocolErrors.For(outcome.Failure), request);
        }
    }

    private async ValueTask UnsubscribeAsync(ClientSession connection, ClientRequest request)
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

        connection.Frames.TryEnqueueReply(ServerFrames.Unsubscribed(request.Id, channel));
    }

    /// <summary>A well-formed publish after hello: through the gate, which answers it (ack with an id, or an error) in order.</summary>
    private ValueTask PublishAsync(ClientSession connection, ClientRequest request, string channel)
    {
        var payload = request.Payload;
        var refusal = gate.Admit(connection, channel, payload?.Bytes.Length ?? 0, payload is null ? request.PayloadError ?? ProtocolErrors.MessageMissing : null);
        return gate.PublishAsync(connection, this, channel, request.Id, refusal, payload);
    }

    void IPublishAnswers.Refuse(ClientSession session, string channel, string? id, ProtocolError error)
    {
        metrics.MessageRejected(error.Code);
        session.Frames.TryEnqueueReply(ServerFrames.Error(error, id, channel));
    }

    void IPublishAnswers.Accept(ClientSession session, string channel, string? id, PublishResult result)
    {
        if (id is not null)
        {
            session.Frames.TryEnqueueReply(ServerFrames.Ack(id, channel, result.Position, result.Duplicate, clock.GetUtcNow().UtcDateTime));
        }
    }

    private async ValueTask HistoryAsync(ClientSession connection, ClientRequest request)
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
        var budget = Math.Min(_historyPageBytes, connection.Frames.FreeQueueBytes - HistoryReplyFields);
        var page = await HistoryPage.ReadAsync(channels, channel, request.SinceOffset ?? 0, request.Limit ?? DefaultHistoryLimit, budget, CancellationToken.None);
        connection.Frames.TryEnqueueReply(ServerFrames.History(request.Id, channel, page));
    }

    private async ValueTask PresenceAsync(ClientSession connection, ClientRequest request)
    {
        if (!TryReadableChannel(connection, request, out var channel))
        {
            return;
        }

        var members = await channels.GetPresenceAsync(channel, CancellationToken.None);
        connection.Frames.TryEnqueueReply(ServerFrames.Presence(request.Id, channel, members));
    }

    /// <summary>An <c>rpc</c> request: answered by the application's backend (the RPC proxy).</summary>
    private async ValueTask RpcAsync(ClientSession connection, ClientRequest request)
    {
        if (!rpc.IsConfigured)
        {
            Reject(connection, ProtocolErrors.RpcNotConfigured, request);
            return;
        }

        if (request.Id is null)
        {
            // The answer names its request by id: without one the client could not tell which it is.
            Reject(connection, ProtocolErrors.IdInvalid, request);
            return;
        }

        if (request.Method is not { } method)
        {
            Reject(connection, ProtocolErrors.MethodInvalid, request);
            return;
        }

        var answer = await rpc.CallAsync(connection.ForBackend(), method, request.Data, CancellationToken.None);
        if (answer.Refusal is { } refusal)
        {
            RejectForBackend(connection, refusal, request);
            return;
        }

        connection.Frames.TryEnqueueReply(ServerFrames.Rpc(request.Id, answer.Data));
    }

    /// <summary>The backend said no: the connection is closed if it asked for that, otherwise the request gets its error.</summary>
    private void RejectForBackend(ClientSession connection, BackendRefusal refusal, ClientRequest request)
    {
        if (!BackendRefusals.CloseIfAsked(connection, refusal))
        {
            Reject(connection, ProtocolErrors.For(refusal), request);
        }
    }

    /// <summary>
    /// The request's channel, if it names a valid one the connection may read (subscribe, history and
    /// presence all show what subscribing would show, so they need the same permission); otherwise the
    /// error is sent and false returned.
    /// </summary>
    private bool TryReadableChannel(ClientSession connection, ClientRequest request, out string channel)
    {
        channel = request.Channel ?? "";
        if (request.Channel is null)
        {
            Reject(connection, ProtocolErrors.ChannelInvalid, request);
            return false;
        }

        // A channel the subscribe proxy covers may be read while the backend's subscription to it lasts.
        if (!authorizer.CanSubscribe(connection.Principal, channel) && !(backend.AsksOnSubscribe(channel) && connection.Subscriptions.ContainsKey(channel)))
        {
            Reject(connection, ProtocolErrors.Forbidden, request);
            return false;
        }

        return true;
    }

    /// <summary>Answers <c>rate_limited</c>; a client that went on through too many of them is closed with 1008 after the answer.</summary>
    private void RejectOverBudget(ClientSession connection, BudgetVerdict refused, ClientRequest request, string floodReason)
    {
        Reject(connection, ProtocolErrors.For(refused.RefusedBy!.Value), request);
        if (refused.CloseConnection)
        {
            connection.CloseForFlooding(floodReason);
        }
    }

    private void Reject(ClientSession connection, ProtocolError error, ClientRequest request)
    {
        metrics.MessageRejected(error.Code);
        connection.Frames.TryEnqueueReply(ServerFrames.Error(error, request.Id, request.Channel));
    }
}
