using System.Diagnostics.Metrics;
using Broadcast.Server.Backend;
using Broadcast.Server.Backend.Proxies;
using Broadcast.Server.Backend.Webhooks;

namespace Broadcast.Server.Diagnostics;

/// <summary>The instruments of the proxies (and webhooks) to the application's backend, on the server's meter (docs/metrics.md).</summary>
public sealed class BackendMetrics : IBackendObserver
{
    private readonly Counter<long> _proxyCalls;
    private readonly Histogram<double> _proxyDuration;
    private readonly Counter<long> _webhookSent;
    private readonly Counter<long> _webhookFailed;
    private readonly Counter<long> _webhookRetried;

    public BackendMetrics(IMeterFactory meterFactory, WebhookQueue webhooks)
    {
        var meter = meterFactory.Create(BroadcastMetrics.MeterName);
        _proxyCalls = meter.CreateCounter<long>("broadcast.server.proxy.requests", "{request}", "Calls to the application's backend by proxy (connect, subscribe, publish, refresh, rpc) and outcome (allowed, refused, disconnected, timeout, unreachable, error_status, invalid_answer).");
        _proxyDuration = meter.CreateHistogram<double>(
            "broadcast.server.proxy.duration",
            "s",
            "How long calls to the application's backend took, retries included, by proxy.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _webhookSent = meter.CreateCounter<long>("broadcast.server.webhook.events.sent", "{event}", "Webhook events the receiver acknowledged with a 2xx answer.");
        _webhookFailed = meter.CreateCounter<long>("broadcast.server.webhook.events.failed", "{event}", "Webhook events given up, by reason (expired: not delivered within MaxAge; queue_full: dropped when made).");
        _webhookRetried = meter.CreateCounter<long>("broadcast.server.webhook.requests.retried", "{request}", "Webhook requests tried again after a failed attempt.");
        meter.CreateObservableUpDownCounter("broadcast.server.webhook.events.pending", () => webhooks.Pending, "{event}", "Webhook events this node holds: waiting in the process, or taken and not yet delivered or given up.");
    }

    public void ProxyCalled(ProxyKind kind, string outcome, TimeSpan duration)
    {
        var proxy = new KeyValuePair<string, object?>("broadcast.proxy", kind.ToString().ToLowerInvariant());
        _proxyCalls.Add(1, proxy, new KeyValuePair<string, object?>("broadcast.outcome", outcome));
        _proxyDuration.Record(duration.TotalSeconds, proxy);
    }

    public void WebhookEventsSent(int events) => _webhookSent.Add(events);

    public void WebhookEventsFailed(int events, string reason) => _webhookFailed.Add(events, new KeyValuePair<string, object?>("broadcast.reason", reason));

    public void WebhookRequestRetried() => _webhookRetried.Add(1);
}
