using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol.Legacy;

/// <summary>
/// The original protocol, for clients that offer no subprotocol: each is on the default channel from the
/// start, every message is <c>{"message": "text"}</c> published there, and bad input gets
/// <c>{"error", "code"}</c> to the sender only.
/// </summary>
internal sealed class LegacyDialect(
    ChannelService channels,
    ChannelAuthorizer authorizer,
    IBackendHooks backend,
    PublishGate gate,
    IConnectionObserver metrics,
    LegacyEncoding encoding,
    ILogger<LegacyDialect> logger) : IClientDialect, IPublishAnswers
{
    public string Name => "legacy";

    public string? Subprotocol => null;

    // Said here, not only left to the default: the original protocol's promise is this dialect's own.
    public bool ReceivesServerNotices => false;

    public IChannelEncoding Encoding => encoding;

    public async ValueTask OpenAsync(ClientSession session)
    {
        if (backend.AsksOnSubscribe(ChannelName.Default))
        {
            // The subscribe proxy covers the default channel: the application's backend decides.
            if (await backend.SubscribeAsync(session.ForBackend(), ChannelName.Default, CancellationToken.None) is { } refusal)
            {
                if (!BackendRefusals.CloseIfAsked(session, refusal))
                {
                    Reject(session, ProtocolErrors.For(refusal));
                }

                return;
            }
        }
        else if (!authorizer.CanSubscribe(session.Principal, ChannelName.Default))
        {
            // Told once, so the client knows why it will never receive anything.
            Reject(session, ProtocolErrors.Forbidden);
            return;
        }

        // On the default channel from the start, without any reply frame.
        var subscribed = await channels.SubscribeAsync(session, ChannelName.Default, since: null, wantsPresence: false, static (_, _, _) => ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        if (subscribed.Failure != SubscribeFailure.None)
        {
            Reject(session, ProtocolErrors.For(subscribed.Failure));
        }
    }

    public ValueTask HandleAsync(ClientSession session, ReadOnlySpan<byte> message, bool isBinary)
    {
        if (isBinary)
        {
            Reject(session, ProtocolErrors.BinaryNotSupported);
            return ValueTask.CompletedTask;
        }

        var inbound = InboundMessageParser.Parse(message);
        if (inbound.Error is { } error)
        {
            Reject(session, error);
            return ValueTask.CompletedTask;
        }

        var refusal = gate.Admit(session, ChannelName.Default, inbound.EscapedText.Length);
        return gate.PublishAsync(session, this, ChannelName.Default, id: null, refusal, refusal is null ? PublicationPayload.Message(inbound.EscapedText.ToArray()) : (PublicationPayload?)null);
    }

    // A legacy client gets the error frame of the original protocol, {"error", "code"} (rate_limited, engine_unavailable…).
    void IPublishAnswers.Refuse(ClientSession session, string channel, string? id, ProtocolError error) => Reject(session, error);

    // The original protocol has no acknowledgement.
    void IPublishAnswers.Accept(ClientSession session, string channel, string? id, PublishResult result)
    {
    }

    private void Reject(ClientSession session, ProtocolError error)
    {
        metrics.MessageRejected(error.Code);
        ConnectionLog.Rejected(logger, session.Id, error.Code);
        session.Frames.TryEnqueue(error.Frame);
    }
}
