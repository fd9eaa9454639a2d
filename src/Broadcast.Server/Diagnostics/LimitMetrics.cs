using System.Diagnostics.Metrics;
using Broadcast.Server.Security;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// The instruments of the request and publish budgets and of the per-address socket limit, on the server's
/// meter (<c>Broadcast.Server</c>; docs/metrics.md). Refusals are rare events, so plain counters with an attribute.
/// </summary>
public sealed class LimitMetrics : ILimitObserver
{
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _socketsRefused;

    public LimitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(BroadcastMetrics.MeterName);
        _rateLimited = meter.CreateCounter<long>("broadcast.server.rate_limited", "{request}", "Publishes and requests refused with rate_limited, by the budget that refused them.");
        _socketsRefused = meter.CreateCounter<long>("broadcast.server.sockets.refused", "{connection}", "TCP connections closed before anything was read because their address already held Broadcast:Limits:MaxSocketsPerAddress.");
    }

    public void RateLimited(BudgetKind budget) => _rateLimited.Add(1, new KeyValuePair<string, object?>("broadcast.budget", budget switch
    {
        BudgetKind.Connection => "connection",
        BudgetKind.Address => "address",
        BudgetKind.Channel => "channel",
        _ => "request",
    }));

    public void SocketRefused() => _socketsRefused.Add(1);
}
