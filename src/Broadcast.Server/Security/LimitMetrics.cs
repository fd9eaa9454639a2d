using System.Diagnostics.Metrics;

namespace Broadcast.Server.Security;

/// <summary>
/// The instruments of the request and publish budgets and of the per-address socket limit, on the server's
/// meter (<c>Broadcast.Server</c>; docs/metrics.md). Refusals are rare events, so plain counters with an attribute.
/// </summary>
public sealed class LimitMetrics
{
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _socketsRefused;

    public LimitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Diagnostics.BroadcastMetrics.MeterName);
        _rateLimited = meter.CreateCounter<long>("broadcast.server.rate_limited", "{request}", "Publishes and requests refused with rate_limited, by the budget that refused them.");
        _socketsRefused = meter.CreateCounter<long>("broadcast.server.sockets.refused", "{connection}", "TCP connections closed before anything was read because their address already held Broadcast:Limits:MaxSocketsPerAddress.");
    }

    /// <summary>Which budget refused: the values of the <c>broadcast.budget</c> attribute.</summary>
    public enum BudgetKind
    {
        Connection,
        Address,
        Channel,
        Requests,
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
