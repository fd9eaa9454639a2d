using System.Net;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// What clients may publish and request, checked before anything is done. Publishing: each connection has
/// its own budget (<see cref="ConnectionBudget"/>), anonymous connections share one per client address, and
/// every channel has one on this node; messages and bytes are counted separately, so a machine publishing many
/// small messages and a client sending few large ones are both bounded without one limit having to fit both.
/// Every other request of a connection (hello, auth, subscribe, unsubscribe, history, presence) spends from
/// its request budget.
/// </summary>
/// <remarks>
/// The per-channel budget is what keeps subscribers safe: however many connections and addresses publish at
/// once, a channel's subscribers are never sent more than its burst at a time (attack #2 of issue 11: eight
/// connections each bursting 200 x 60 KB made every subscriber a slow consumer). A channel's budget running
/// out is not the publisher's fault, so those refusals never count toward closing it; refusals by its own
/// or its address's budget do (<see cref="LimitsOptions.RateLimitStrikes"/>).
/// </remarks>
public sealed class ClientBudgets
{
    private readonly LimitsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILimitObserver _metrics;
    private readonly BudgetTable<IPAddress> _addresses;
    private readonly BudgetTable<string> _channels;
    private readonly PublishLimit _connectionLimit;
    private readonly double _authenticatedCost;
    private readonly bool _publishLimited;

    public ClientBudgets(IOptions<LimitsOptions> options, TimeProvider clock, ILimitObserver metrics)
    {
        _options = options.Value;
        _clock = clock;
        _metrics = metrics;
        _connectionLimit = new(_options.PublishRatePerSecond, _options.PublishBurst, _options.PublishBytesPerSecond, _options.PublishBurstBytes);
        _addresses = new(new(_options.AddressPublishRatePerSecond, _options.AddressPublishBurst, _options.AddressPublishBytesPerSecond, _options.AddressPublishBurstBytes), clock);
        _channels = new(new(_options.ChannelPublishRatePerSecond, _options.ChannelPublishBurst, _options.ChannelPublishBytesPerSecond, _options.ChannelPublishBurstBytes), clock);
        // An authenticated connection's publish costs a fraction of an anonymous one's: the same buckets then
        // allow it that many times more, without a second set of settings.
        _authenticatedCost = 1.0 / _options.AuthenticatedPublishFactor;
        // PublishRatePerSecond = 0 has always meant "do not limit publishing" (benchmarks, tests, trusted
        // publishers): it turns every publish budget off, the ones added since included.
        _publishLimited = _options.PublishRatePerSecond > 0;
    }

    /// <summary>Addresses with a publish budget held now (tests and diagnostics).</summary>
    internal int AddressCount => _addresses.Count;

    /// <summary>Channels with a publish budget held now (tests and diagnostics).</summary>
    internal int ChannelCount => _channels.Count;

    /// <summary>The close reason (1008) of a connection that kept publishing through its refusals.</summary>
    public const string PublishFloodReason = "publish rate limit exceeded";

    /// <summary>The close reason (1008) of a connection that kept making requests through their refusals.</summary>
    public const string RequestFloodReason = "request rate limit exceeded";

    public ConnectionBudget CreateConnectionBudget(IPAddress? remoteAddress) =>
        new(AddressKey.Of(remoteAddress), _connectionLimit, _options.RequestRatePerSecond, _options.RequestBurst, _clock.GetTimestamp(), _clock.TimestampFrequency);

    /// <summary>
    /// Spends one publication of <paramref name="bytes"/> on <paramref name="channel"/> from the connection's,
    /// its address's (anonymous connections) and the channel's budgets: from all of them, or from none.
    /// </summary>
    public BudgetVerdict TryPublish(ConnectionBudget budget, bool authenticated, string channel, int bytes)
    {
        if (!_publishLimited)
        {
            return BudgetVerdict.Allowed;
        }

        var cost = authenticated ? _authenticatedCost : 1.0;
        if (!budget.Publish.TryTake(bytes, cost, _clock.GetTimestamp()))
        {
            return Strike(budget, BudgetKind.Connection);
        }

        // Authenticated clients answer for themselves (their token names them); the address is what
        // anonymous ones have in common.
        var address = authenticated ? null : budget.Address;
        if (address is not null && !_addresses.TryTake(address, bytes))
        {
            budget.Publish.Refund(bytes, cost);
            return Strike(budget, BudgetKind.Address);
        }

        if (!_channels.TryTake(channel, bytes))
        {
            budget.Publish.Refund(bytes, cost);
            if (address is not null)
            {
                _addresses.Refund(address, bytes);
            }

            // Not a strike: others filled the channel's budget, this client did nothing wrong.
            _metrics.RateLimited(BudgetKind.Channel);
            return new BudgetVerdict(BudgetKind.Channel, CloseConnection: false);
        }

        budget.PublishStrikes = 0;
        return BudgetVerdict.Allowed;
    }

    /// <summary>Spends one request other than a publish (hello, auth, subscribe, unsubscribe, history, presence).</summary>
    public BudgetVerdict TryRequest(ConnectionBudget budget)
    {
        if (budget.Requests.TryTake(1, _clock.GetTimestamp()))
        {
            budget.RequestStrikes = 0;
            return BudgetVerdict.Allowed;
        }

        _metrics.RateLimited(BudgetKind.Requests);
        return new BudgetVerdict(BudgetKind.Requests, ++budget.RequestStrikes >= _options.RateLimitStrikes);
    }

    private BudgetVerdict Strike(ConnectionBudget budget, BudgetKind kind)
    {
        _metrics.RateLimited(kind);
        return new BudgetVerdict(kind, ++budget.PublishStrikes >= _options.RateLimitStrikes);
    }
}
