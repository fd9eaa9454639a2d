using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol;

/// <summary>
/// The one way a client's publish reaches a channel, whatever dialect it speaks: authorized, its message
/// checked, its budgets spent (a client that keeps going through its refusals is closed), counted, then
/// published. On an engine that answers later (Redis) the receive loop does not wait: up to
/// <see cref="PublishPipeline.MaxInFlight"/> publishes of one client are in flight at once, in order (one
/// node's commands reach the engine in the order they are issued), and every answer, refusals included,
/// goes out in the order the publishes came. Once the node drains for shutdown nothing more is published
/// (<c>shutting_down</c>), and the drain waits for the publishes already on their way before it closes anyone.
/// </summary>
internal sealed class PublishGate(ChannelService channels, ChannelAuthorizer authorizer, ClientBudgets budgets, ShutdownDrain drain, IConnectionObserver metrics, IBackendHooks backend)
{
    private static readonly PublishRefusal ShuttingDown = new(ProtocolErrors.ShuttingDown, Flooding: false);

    /// <summary>
    /// Decides whether <paramref name="session"/> may publish <paramref name="messageBytes"/> bytes on
    /// <paramref name="channel"/>: null when admitted (and counted), otherwise why not. Checked in this order:
    /// the drain, permission, the message itself (<paramref name="messageError"/>, when the dialect found one), budgets.
    /// </summary>
    public PublishRefusal? Admit(ClientSession session, string channel, int messageBytes, ProtocolError? messageError = null)
    {
        if (drain.IsDraining)
        {
            return ShuttingDown;
        }

        // On a channel the publish proxy covers, the application's backend decides instead (PublishAsync asks it).
        // A user channel is never the backend's to open: no client may publish to it.
        if ((UserChannels.Is(channel) || !backend.AsksOnPublish(channel)) && !authorizer.CanPublish(session.Principal, channel))
        {
            return new PublishRefusal(ProtocolErrors.Forbidden, Flooding: false);
        }

        if (messageError is not null)
        {
            return new PublishRefusal(messageError, Flooding: false);
        }

        if (session.Budget is { } budget && budgets.TryPublish(budget, authenticated: session.Principal is not null, channel, messageBytes) is { IsAllowed: false } refused)
        {
            return new PublishRefusal(ProtocolErrors.For(refused.RefusedBy!.Value), refused.CloseConnection);
        }

        metrics.MessageReceived();
        return null;
    }

    /// <summary>
    /// Publishes an admitted message (<paramref name="refusal"/> null), or answers the refusal, in order after
    /// the session's publishes still in flight. Completes at once unless the window of publishes in flight is full.
    /// </summary>
    public ValueTask PublishAsync(ClientSession session, IPublishAnswers answers, string channel, string? id, PublishRefusal? refusal, PublicationPayload? payload)
    {
        var pipeline = session.Publishes;
        var behind = pipeline is { IsBusy: true } ? pipeline.Last : null;
        if (refusal is null && !drain.TryHoldForPublish())
        {
            // The drain began since Admit.
            refusal = ShuttingDown;
        }

        if (refusal is { } refused)
        {
            if (behind is null)
            {
                Refuse(session, answers, channel, id, refused);
                return ValueTask.CompletedTask;
            }

            drain.Hold();
            return pipeline!.AddAsync(RefuseAfterAsync(behind, session, answers, channel, id, refused, drain));
        }

        if (backend.AsksOnPublish(channel))
        {
            return AskBackendThenPublishAsync(session, answers, channel, id, payload!.Value);
        }

        ValueTask<PublishResult> publishing;
        try
        {
            publishing = channels.PublishAsync(channel, session.Session, id, payload!.Value, CancellationToken.None);
        }
        catch
        {
            drain.Release();
            throw;
        }

        if (behind is null && publishing.IsCompletedSuccessfully)
        {
            // The in-memory engine: published (and fanned out) already.
            answers.Accept(session, channel, id, publishing.Result);
            drain.Release();
            return ValueTask.CompletedTask;
        }

        // Waiting on Redis: read the next message meanwhile; the answer comes when it is known, after the earlier ones.
        pipeline = session.Publishes ??= new PublishPipeline();
        return pipeline.AddAsync(AnswerAfterAsync(behind, session, answers, channel, id, publishing, drain));
    }

    /// <summary>
    /// The publish proxy: the backend refuses, allows, or replaces the message. Asked after every earlier publish
    /// was answered, and the connection reads nothing more until this one is, so answers keep the order of the
    /// requests and the backend sees a connection's publishes one at a time, in order.
    /// </summary>
    private async ValueTask AskBackendThenPublishAsync(ClientSession session, IPublishAnswers answers, string channel, string? id, PublicationPayload payload)
    {
        try
        {
            await WaitForPublishesAsync(session);
            var verdict = await backend.PublishAsync(session.ForBackend(), channel, new ProxiedPayload(ProxiedKindOf(payload.Kind), payload.Bytes), CancellationToken.None);
            if (verdict.Refusal is { } refusal)
            {
                if (!BackendRefusals.CloseIfAsked(session, refusal))
                {
                    answers.Refuse(session, channel, id, ProtocolErrors.For(refusal));
                }

                return;
            }

            try
            {
                answers.Accept(session, channel, id, await channels.PublishAsync(channel, session.Session, id, verdict.Replacement is { } replacement ? new PublicationPayload(payload.Kind, replacement.Bytes) : payload, CancellationToken.None));
            }
            catch (EngineUnavailableException ex)
            {
                answers.Refuse(session, channel, id, AnswerFor(ex));
            }
        }
        finally
        {
            // Answered: the drain may close this client now (it held the drain since PublishAsync admitted it).
            drain.Release();
        }
    }

    private static ProxiedPayloadKind ProxiedKindOf(PayloadKind kind) => kind switch
    {
        PayloadKind.Data => ProxiedPayloadKind.Data,
        PayloadKind.Bytes => ProxiedPayloadKind.Bytes,
        _ => ProxiedPayloadKind.Message,
    };

    /// <summary>Waits until every publish of the session in flight was answered (before a reply to anything else, so replies keep request order).</summary>
    public static ValueTask WaitForPublishesAsync(ClientSession session) =>
        session.Publishes is { IsBusy: true } pipeline ? new ValueTask(pipeline.DrainAsync()) : ValueTask.CompletedTask;

    private static void Refuse(ClientSession session, IPublishAnswers answers, string channel, string? id, PublishRefusal refused)
    {
        answers.Refuse(session, channel, id, refused.Error);
        if (refused.Flooding)
        {
            session.CloseForFlooding(ClientBudgets.PublishFloodReason);
        }
    }

    private static async Task RefuseAfterAsync(Task behind, ClientSession session, IPublishAnswers answers, string channel, string? id, PublishRefusal refused, ShutdownDrain drain)
    {
        try
        {
            await behind.ConfigureAwait(false);
            Refuse(session, answers, channel, id, refused);
        }
        finally
        {
            drain.Release();
        }
    }

    /// <summary>
    /// What a failed publish tells its client: <c>publish_unknown</c> when the engine may have published it (a
    /// timeout, a stall), <c>engine_unavailable</c> only when it surely did not (it was never sent).
    /// </summary>
    public static ProtocolError AnswerFor(EngineUnavailableException failure) =>
        failure is EngineOutcomeUnknownException ? ProtocolErrors.PublishUnknown : ProtocolErrors.EngineUnavailable;

    /// <summary>Answers one publish once it completed and every earlier one was answered. A fault (not an engine outage) propagates: the connection closes with 1011.</summary>
    private static async Task AnswerAfterAsync(Task? behind, ClientSession session, IPublishAnswers answers, string channel, string? id, ValueTask<PublishResult> publishing, ShutdownDrain drain)
    {
        try
        {
            PublishResult result = default;
            ProtocolError? failure = null;
            try
            {
                result = await publishing.ConfigureAwait(false);
            }
            catch (EngineUnavailableException ex)
            {
                failure = AnswerFor(ex);
            }

            if (behind is not null)
            {
                await behind.ConfigureAwait(false);
            }

            if (failure is not null)
            {
                answers.Refuse(session, channel, id, failure);
            }
            else
            {
                answers.Accept(session, channel, id, result);
            }
        }
        finally
        {
            // Answered (or faulted): the drain may close this client now.
            drain.Release();
        }
    }
}
