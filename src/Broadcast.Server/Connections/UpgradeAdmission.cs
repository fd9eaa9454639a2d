using System.Net;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Who may upgrade at all, before any token is read: not while draining (503), only from allowed origins and
/// host names (403), and within the connection limits (429/503, with <c>Retry-After</c>). A client admitted
/// holds a place until <see cref="ConnectionLimiter.Release"/>.
/// </summary>
internal sealed class UpgradeAdmission(
    ShutdownDrain drain,
    OriginPolicy origins,
    ConnectionLimiter limiter,
    IConnectionObserver metrics,
    IOptions<LimitsOptions> limits,
    ILogger<UpgradeAdmission> logger)
{
    /// <summary>True when admitted; otherwise the refusal has been answered.</summary>
    public async Task<bool> TryAdmitAsync(HttpContext context, IPAddress? remoteAddress)
    {
        if (drain.IsDraining)
        {
            ConnectionLog.Refused(logger, remoteAddress, "shutting down");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return false;
        }

        if (!origins.IsAllowed(context.Request))
        {
            ConnectionLog.Refused(logger, remoteAddress, "origin not allowed");
            metrics.MessageRejected("origin_forbidden");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { error = "This origin may not open a WebSocket to this server.", code = "origin_forbidden" });
            return false;
        }

        if (!origins.IsHostAllowed(context.Request))
        {
            ConnectionLog.Refused(logger, remoteAddress, "host not allowed");
            metrics.MessageRejected("host_forbidden");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { error = "This server is not reached by that host name from a browser (Broadcast:Limits:AllowedHosts).", code = "host_forbidden" });
            return false;
        }

        var admission = limiter.TryAdmit(remoteAddress);
        if (admission == ConnectionLimiter.Admission.Admitted)
        {
            return true;
        }

        var (status, code, text) = admission switch
        {
            ConnectionLimiter.Admission.AddressFull => (StatusCodes.Status429TooManyRequests, "too_many_connections", "Too many connections from this address; retry later."),
            ConnectionLimiter.Admission.TooManyUpgrades => (StatusCodes.Status503ServiceUnavailable, "too_many_upgrades", "Too many clients are connecting at once; retry later."),
            _ => (StatusCodes.Status503ServiceUnavailable, "server_full", "The server is at its connection limit; retry later."),
        };
        ConnectionLog.Refused(logger, remoteAddress, code);
        context.Response.StatusCode = status;
        // Closed after the answer rather than kept alive: near the descriptor limit, every refused
        // client still holding its socket takes a descriptor from the reserve.
        context.Response.Headers.Connection = "close";
        context.Response.Headers.RetryAfter = limits.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new { error = text, code });
        return false;
    }

    public void Release(IPAddress? remoteAddress) => limiter.Release(remoteAddress);
}
