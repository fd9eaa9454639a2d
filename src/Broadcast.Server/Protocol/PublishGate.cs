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
/// goes out in the order the publishes came.
/// </summary>
internal sealed class PublishGate(ChannelService channels, ChannelAuthorizer authorizer, ClientBudgets budgets, IConnectionObserver metrics, IBackendHooks backend)
{
    /// <summary>
    /// Decides whether <paramref name="session"/> may publish <paramref name="messageBytes"/> bytes on
    /// <paramref name="channel"/>: null when admitted (and counted), otherwise why not. Checked in this order:
    /// permission, the message itself (<paramref name="messageError"/>, when the dialect found one), budgets.
    /// </summary>
    public PublishRefusal? Admit(ClientSession session, string channel, int messageBytes, ProtocolError? messageError = null)
    {
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
    public ValueTask PublishAsync(ClientSession session, IPublishAnswers answers, string channel, string? id, PublishRefusal? refusal, byte[]? message)
    {
        var pipeline = session.Publishes;
        var behind = pipeline is { IsBusy: true } ? pipeline.Last : null;
        if (refusal is { } refused)
        {
            if (behind is null)
            {
                Refuse(session, answers, channel, id, refused);
                return ValueTask.CompletedTask;
            }

            return pipeline!.AddAsync(RefuseAfterAsync(behind, session, answers, channel, id, refused));
        }

        if (backend.AsksOnPublish(channel))
        {
            return AskBackendThenPublishAsync(session, answers, channel, id, message!);
        }

        var publishing = channels.PublishAsync(channel, session.Session, id, message!, CancellationToken.None);
        if (behind is null && publishing.IsCompletedSuccessfully)
        {
            // The in-memory engine: published (and fanned out) already.
            answers.Accept(session, channel, id, publishing.Result);
            return ValueTask.CompletedTask;
        }

        // Waiting on Redis: read the next message meanwhile; the answer comes when it is known, after the earlier ones.
        pipeline = session.Publishes ??= new PublishPipeline();
        return pipeline.AddAsync(AnswerAfterAsync(behind, session, answers, channel, id, publishing));
    }

    /// <summary>
    /// The publish proxy: the backend refuses, allows, or replaces the message. Asked after every earlier publish
    /// was answered, and the connection reads nothing more until this one is, so answers keep the order of the
    /// requests and the backend sees a connection's publishes one at a time, in order.
    /// </summary>
    private async ValueTask AskBackendThenPublishAsync(ClientSession session, IPublishAnswers answers, string channel, string? id, byte[] message)
    {
        await WaitForPublishesAsync(session);
        var verdict = await backend.PublishAsync(session.ForBackend(), channel, message, CancellationToken.None);
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
            answers.Accept(session, channel, id, await channels.PublishAsync(channel, session.Session, id, verdict.Replacement ?? message, CancellationToken.None));
        }
        catch (EngineUnavailableException)
        {
            answers.Refuse(session, channel, id, ProtocolErrors.EngineUnavailable);
        }
    }

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

    private static async Task RefuseAfterAsync(Task behind, ClientSession session, IPublishAnswers answers, string channel, string? id, PublishRefusal refused)
    {
        await behind.ConfigureAwait(false);
        Refuse(session, answers, channel, id, refused);
    }

    /// <summary>Answers one publish once it completed and every earlier one was answered. A fault (not an engine outage) propagates: the connection closes with 1011.</summary>
    private static async Task AnswerAfterAsync(Task? behind, ClientSession session, IPublishAnswers answers, string channel, string? id, ValueTask<PublishResult> publishing)
    {
        PublishResult result = default;
        var unavailable = false;
        try
        {
            result = await publishing.ConfigureAwait(false);
        }
        catch (EngineUnavailableException)
        {
            unavailable = true;
        }

        if (behind is not null)
        {
            await behind.ConfigureAwait(false);
        }

        if (unavailable)
        {
            answers.Refuse(session, channel, id, ProtocolErrors.EngineUnavailable);
        }
        else
        {
            answers.Accept(session, channel, id, result);
        }
    }
}
