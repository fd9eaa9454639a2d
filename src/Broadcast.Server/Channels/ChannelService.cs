using Broadcast.Server.Engines;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Channels;

/// <summary>
/// Subscribing, unsubscribing and publishing for subscribers: keeps this node's <see cref="ChannelHub"/>,
/// the engine's node subscriptions and presence in step, and runs the replay-then-live switch of resume.
/// </summary>
public sealed partial class ChannelService(
    IStreamEngine engine,
    IPresenceEngine presence,
    ChannelHub hub,
    IChannelObserver metrics,
    IChannelEvents events,
    IOptions<ChannelOptions> options,
    IOptions<StreamOptions> stream,
    ILogger<ChannelService> logger)
{
    private readonly ChannelOptions _options = options.Value;
    private readonly int _historySize = stream.Value.HistorySize;
    private readonly ChannelPatterns _keepLatest = ChannelPatterns.Parse(options.Value.KeepLatest);
    private readonly ChannelPatterns _dropOldest = ChannelPatterns.Parse(options.Value.DropOldest);

    /// <summary>What a subscriber's full queue does with the channel's publications (Broadcast:Channels:KeepLatest / DropOldest).</summary>
    public SlowConsumerPolicy SlowConsumerPolicyFor(string channel) =>
        _keepLatest.Allows(channel) ? SlowConsumerPolicy.KeepLatest
        : _dropOldest.Allows(channel) ? SlowConsumerPolicy.DropOldest
        : SlowConsumerPolicy.Disconnect;

    /// <summary>The outcome of a subscribe: either an error, or the reply and how the resume went.</summary>
    public readonly record struct SubscribeOutcome(SubscribeFailure Failure, bool? Recovered, int Missed);

    /// <summary>
    /// Subscribes <paramref name="connection"/> to <paramref name="channel"/>. With <paramref name="since"/>,
    /// replays what the client missed, or answers <c>recovered: false</c> when that is no longer possible.
    /// <paramref name="replyFor"/> builds the reply frame (legacy auto-subscriptions send none).
    /// </summary>
    internal async ValueTask<SubscribeOutcome> SubscribeAsync(
        ISubscriber connection,
        string channel,
        StreamPosition? since,
        bool wantsPresence,
        Func<StreamPosition, bool?, int, ReadOnlyMemory<byte>> replyFor,
        CancellationToken cancellationToken)
    {
        if (connection.Subscriptions.ContainsKey(channel))
        {
            // Subscribing again re-runs the subscription, so a client can resume in place.
            await UnsubscribeAsync(connection, channel, cancellationToken);
        }
        else if (connection.Subscriptions.Count >= _options.MaxChannelsPerConnection)
        {
            return new SubscribeOutcome(SubscribeFailure.TooManyChannels, null, 0);
        }

        var subscription = new ChannelSubscription(connection, channel, wantsPresence, SlowConsumerPolicyFor(channel));
        connection.Subscriptions[channel] = subscription;
        bool? recovered;
        int missed;
        try
        {
            // Registered before history is read: whatever is published from here on is held by the
            // subscription until the replay is queued, so nothing falls between the two. The node's
            // subscription must be live before the read too (not only for the channel's first subscriber:
            // the first one's may still be in progress), so this waits for it.
            hub.Add(subscription);
            await engine.SubscribeNodeAsync(channel, cancellationToken);

            var history = await engine.ReadHistoryAsync(channel, since?.Offset ?? 0, since is null ? 0 : Math.Max(_historySize, 1), cancellationToken);
            recovered = since is { } from
                ? string.Equals(from.Epoch, history.Position.Epoch, StringComparison.Ordinal) && from.Offset <= history.Position.Offset && !history.Truncated
                : null;
            IReadOnlyList<Publication> replay = recovered == true ? history.Publications : [];
            missed = replay.Count(p => !string.Equals(p.Origin, connection.Session, StringComparison.Ordinal));
            subscription.GoLive(replyFor(history.Position, recovered, missed), history.Position, replay);
        }
        catch (EngineUnavailableException ex)
        {
            LogEngineFailure(logger, "subscribe", channel, ex.Message);
            connection.Subscriptions.Remove(channel);
            RemoveFromHub(subscription);
            return new SubscribeOutcome(SubscribeFailure.EngineUnavailable, null, 0);
        }

        try
        {
            PresenceChangeReport.Tell(events, channel, await presence.JoinAsync(channel, subscription.Member, cancellationToken), subscription.Member, joined: true);
        }
        catch (EngineUnavailableException ex)
        {
            // The subscription is live (its reply is sent) and stays: the engine keeps the member and settles the
            // join in the background (it may or may not have been made), reporting it once it knows.
            LogEngineFailure(logger, "presence join", channel, ex.Message);
        }

        return new SubscribeOutcome(SubscribeFailure.None, recovered, missed);
    }

    /// <summary>Ends a subscription. Returns false if the connection was not subscribed.</summary>
    internal async ValueTask<bool> UnsubscribeAsync(ISubscriber connection, string channel, CancellationToken cancellationToken)
    {
        if (!TryEnd(connection, channel, out var subscription, out var wasLast))
        {
            return false;
        }

        await LeaveEngineAsync(subscription, wasLast, cancellationToken);
        return true;
    }

    /// <summary>
    /// Ends every subscription of a closing connection. Each leaves the hub at once; the engine's part of every
    /// channel (presence, the node's subscription) runs side by side, so a connection closing while Redis is
    /// stalled waits about one operation timeout in all, not one per channel.
    /// </summary>
    internal async ValueTask UnsubscribeAllAsync(ISubscriber connection)
    {
        var leaving = new List<Task>();
        foreach (var channel in connection.Subscriptions.Keys.ToArray())
        {
            if (TryEnd(connection, channel, out var subscription, out var wasLast))
            {
                leaving.Add(LeaveEngineAsync(subscription, wasLast, CancellationToken.None).AsTask());
            }
        }

        await Task.WhenAll(leaving);
    }

    /// <summary>Ends the subscription on this node (nothing of the channel follows); true if there was one. Says whether it was the channel's last here.</summary>
    private bool TryEnd(ISubscriber connection, string channel, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ChannelSubscription? subscription, out bool wasLast)
    {
        wasLast = false;
        if (!connection.Subscriptions.Remove(channel, out subscription))
        {
            return false;
        }

        // Ended before it leaves the hub: a publication being handed to it right now is refused by the
        // connection's queue, so nothing of the channel can follow the `unsubscribed` the caller sends next.
        subscription.End();
        wasLast = hub.Remove(subscription);
        return true;
    }

    private async ValueTask LeaveEngineAsync(ChannelSubscription subscription, bool wasLast, CancellationToken cancellationToken)
    {
        try
        {
            PresenceChangeReport.Tell(events, subscription.Channel, await presence.LeaveAsync(subscription.Channel, subscription.Member, cancellationToken), subscription.Member, joined: false);
        }
        catch (EngineUnavailableException ex)
        {
            // Presence entries expire in the engine by themselves; nothing else to undo.
            LogEngineFailure(logger, "unsubscribe", subscription.Channel, ex.Message);
        }

        if (wasLast)
        {
            try
            {
                await engine.UnsubscribeNodeAsync(subscription.Channel, cancellationToken);
            }
            catch (EngineUnavailableException ex)
            {
                // The link is down: the node's subscription went with it, or the next reconcile of the channel ends it.
                LogEngineFailure(logger, "unsubscribe", subscription.Channel, ex.Message);
            }
        }
    }

    public async ValueTask<PublishResult> PublishAsync(string channel, string origin, string? messageId, PublicationPayload payload, CancellationToken cancellationToken)
    {
        var result = await engine.PublishAsync(channel, origin, messageId, payload, cancellationToken);
        if (!result.Duplicate)
        {
            metrics.Published();
            events.Published(channel, origin, result.Position, payload);
        }

        return result;
    }

    public ValueTask<HistoryResult> ReadHistoryAsync(string channel, long since, int limit, CancellationToken cancellationToken) =>
        engine.ReadHistoryAsync(channel, since, limit, cancellationToken);

    public ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken) =>
        presence.GetPresenceAsync(channel, cancellationToken);

    private void RemoveFromHub(ChannelSubscription subscription)
    {
        if (hub.Remove(subscription))
        {
            // In the background, after a failed subscribe: a failure here only leaves the node subscribed until
            // the channel's next subscribe or unsubscribe reconciles it; logged, never thrown.
            _ = engine.UnsubscribeNodeAsync(subscription.Channel, CancellationToken.None).AsTask().ContinueWith(
                t => LogEngineFailure(logger, "unsubscribe", subscription.Channel, t.Exception!.GetBaseException().Message),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Engine failed during {Operation} on channel {Channel}: {Reason}")]
    private static partial void LogEngineFailure(ILogger logger, string operation, string channel, string reason);
}
