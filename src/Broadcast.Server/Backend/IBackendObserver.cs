using Broadcast.Server.Backend.Proxies;

namespace Broadcast.Server.Backend;

/// <summary>What the backend room reports (metrics); implemented outside it.</summary>
public interface IBackendObserver
{
    /// <summary>A proxy call ended with <paramref name="outcome"/> (allowed, refused, disconnected, timeout, unreachable, error_status, invalid_answer) after <paramref name="duration"/>.</summary>
    void ProxyCalled(ProxyKind kind, string outcome, TimeSpan duration);

    /// <summary>The receiver answered 2xx to a webhook request of <paramref name="events"/> events.</summary>
    void WebhookEventsSent(int events);

    /// <summary>Webhook events were given up for <paramref name="reason"/> (expired: not delivered within MaxAge; queue_full: dropped when made).</summary>
    void WebhookEventsFailed(int events, string reason);

    /// <summary>A webhook request that failed is about to be tried again.</summary>
    void WebhookRequestRetried();
}
