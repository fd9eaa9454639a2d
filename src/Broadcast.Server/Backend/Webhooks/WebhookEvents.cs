using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// Turns what happened to channels into webhook events and appends them to the <see cref="WebhookQueue"/>,
/// without waiting (it runs on subscribe, unsubscribe and publish paths). Webhooks off, a type not chosen or a
/// channel not covered: nothing is made. A full queue drops the event (counted as failed, reason queue_full).
/// </summary>
internal sealed partial class WebhookEvents : IChannelEvents
{
    private readonly WebhookQueue _queue;
    private readonly IBackendObserver _observer;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookEvents> _logger;
    private readonly bool _enabled;
    private readonly IReadOnlySet<string> _types;
    private readonly ChannelPatterns _channels;
    private readonly ChannelPatterns _publications;

    public WebhookEvents(WebhookQueue queue, IBackendObserver observer, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookEvents> logger)
    {
        _queue = queue;
        _observer = observer;
        _clock = clock;
        _logger = logger;
        var settings = options.Value;
        _enabled = settings.IsEnabled;
        _types = WebhookEventTypes.Parse(settings.Events);
        _channels = ChannelPatterns.Parse(settings.Channels);
        _publications = settings.IsEnabled ? ChannelPatterns.Parse(settings.PublicationChannels) : ChannelPatterns.None;
    }

    public void Occupied(string channel)
    {
        if (Wants(WebhookEventTypes.ChannelOccupied, channel))
        {
            Append(WebhookEventWriter.Channel(WebhookEventTypes.ChannelOccupied, channel, _clock.GetUtcNow()));
        }
    }

    public void Vacated(string channel)
    {
        if (Wants(WebhookEventTypes.ChannelVacated, channel))
        {
            Append(WebhookEventWriter.Channel(WebhookEventTypes.ChannelVacated, channel, _clock.GetUtcNow()));
        }
    }

    public void MemberJoined(string channel, PresenceMember member)
    {
        if (Wants(WebhookEventTypes.PresenceJoin, channel))
        {
            Append(WebhookEventWriter.Member(WebhookEventTypes.PresenceJoin, channel, member, _clock.GetUtcNow()));
        }
    }

    public void MemberLeft(string channel, PresenceMember member)
    {
        if (Wants(WebhookEventTypes.PresenceLeave, channel))
        {
            Append(WebhookEventWriter.Member(WebhookEventTypes.PresenceLeave, channel, member, _clock.GetUtcNow()));
        }
    }

    public void Published(string channel, string origin, StreamPosition position, PublicationPayload payload)
    {
        // Checked first and cheaply: this runs for every publication, and by default none is sent.
        if (_publications.Patterns.Count > 0 && _publications.Allows(channel))
        {
            Append(WebhookEventWriter.Publication(channel, origin, position, payload, _clock.GetUtcNow()));
        }
    }

    private bool Wants(string type, string channel) => _enabled && _types.Contains(type) && _channels.Allows(channel);

    private void Append(byte[] json)
    {
        if (!_queue.Queue.TryAppend(json))
        {
            _observer.WebhookEventsFailed(1, "queue_full");
            LogQueueFull(_logger);
        }
    }

    [LoggerMessage(EventId = 8010, Level = LogLevel.Warning, Message = "The webhook queue is full (Broadcast:Webhooks:QueueCapacity): an event was dropped")]
    private static partial void LogQueueFull(ILogger logger);
}
