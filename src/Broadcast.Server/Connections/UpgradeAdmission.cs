using System.Net;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Who may upgrade at all, before any token is read: not while draining (503), only from allowed origins and
/// host names (403), and within the connection limits (429/503, with <c>Retry-After</c>). A client admitted
/// holds a place until <see cref="ConnectionLimiter.Release"/>. <see cref="Check"/> asks the same questions in
/// the same order without taking a place, for <c>/api/connect-check</c>.
/// </summary>
internal sealed class UpgradeAdmission(
    ShutdownDrain drain,
    OriginPolicy origins,
    ConnectionLimiter limiter,
    IConnectionObserver metrics,
    IOptions<LimitsOptions> limits,
    ILogger<UpgradeAdmission> logger)
{
    private static readonly UpgradeRefusal ShuttingDown = new(
        StatusCodes.Status503ServiceUnavailable, "shutting_down", "The server is shutting down; connect again (to another node) in a moment.", RetryAfterSeconds: 1);

    private static readonly UpgradeRefusal OriginForbidden = new(
        StatusCodes.Status403Forbidden, "origin_forbidden", "This origin may not open a WebSocket to this server.");

    private static readonly UpgradeRefusal HostForbidden = new(
        StatusCodes.Status403Forbidden, "host_forbidden", "This server is not reached by that host name from a browser (Broadcast:Limits:AllowedHosts).");

    /// <summary>True when admitted; otherwise the refusal has been answered.</summary>
    public async Task<bool> TryAdmitAsync(HttpContext context, IPAddress? remoteAddress)
    {
        var refusal = PolicyRefusal(context.Request) ?? LimitRefusal(limiter.TryAdmit(remoteAddress));
        if (refusal is null)
        {
            return true;
        }

        ConnectionLog.Refused(logger, remoteAddress, refusal.Code);
        if (refusal == OriginForbidden || refusal == HostForbidden)
        {
            metrics.MessageRejected(refusal.Code);
        }

        await refusal.WriteAsync(context);
        return false;
    }

    /// <summary>
    /// What <see cref="TryAdmitAsync"/> would answer this request now, without taking a place or spending an
    /// upgrade of the per-second budget: null when it would be admitted. Neither counted nor logged.
    /// </summary>
    public UpgradeRefusal? Check(HttpRequest request, IPAddress? remoteAddress) =>
        PolicyRefusal(request) ?? LimitRefusal(limiter.WouldAdmit(remoteAddress));

    public void Release(IPAddress? remoteAddress) => limiter.Release(remoteAddress);

    /// <summary>The checks before the limits, in their order: the drain, the origin, the host name.</summary>
    private UpgradeRefusal? PolicyRefusal(HttpRequest request) =>
        drain.IsDraining ? ShuttingDown
        : !origins.IsAllowed(request) ? OriginForbidden
        : !origins.IsHostAllowed(request) ? HostForbidden
        : null;

    private UpgradeRefusal? LimitRefusal(ConnectionLimiter.Admission admission)
    {
        var (status, code, text) = admission switch
        {
            ConnectionLimiter.Admission.Admitted => (0, "", ""),
            ConnectionLimiter.Admission.AddressFull => (StatusCodes.Status429TooManyRequests, "too_many_connections", "Too many connections from this address; retry later."),
            ConnectionLimiter.Admission.TooManyUpgrades => (StatusCodes.Status503ServiceUnavailable, "too_many_upgrades", "Too many clients are connecting at once; retry later."),
            _ => (StatusCodes.Status503ServiceUnavailable, "server_full", "The server is at its connection limit; retry later."),
        };

        // Closed after the answer rather than kept alive: near the descriptor limit, every refused
        // client still holding its socket takes a descriptor from the reserve.
        return status == 0 ? null : new UpgradeRefusal(status, code, text, limits.Value.RetryAfterSeconds, CloseConnection: true);
    }
}
