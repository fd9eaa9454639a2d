using System.Threading.RateLimiting;
using Broadcast.Server.Connections;
using Broadcast.Server.Protocol.V2;
using Broadcast.Server.Security;

namespace Broadcast.Server.Http;

/// <summary>
/// <c>GET /api/connect-check</c>: why would this request's upgrade be refused? Browsers hide the status of a
/// refused WebSocket upgrade (the socket just closes with 1006), so a page asks here over plain HTTP. The
/// upgrade's own checks, in its order (the drain, <c>Origin</c>, <c>Host</c>, the connection limits, then the
/// token), without upgrading and without taking a connection place; the answer is the upgrade's refusal, or
/// what the connection would be allowed. Not behind the API key (a page has none), answered to any origin (a
/// page the server refuses must still learn why: the answer depends on nothing but the request, and no
/// cookie is read), never cached, and limited per address.
/// </summary>
internal static class ConnectCheckEndpoint
{
    public const string Path = "/api/connect-check";

    /// <summary>The rate limiter policy of the check: per client address, a token bucket.</summary>
    public const string RatePolicy = "connect-check";

    /// <summary>Checks one address may make per second on average; a page asks once per failed attempt.</summary>
    public const int ChecksPerSecond = 5;

    /// <summary>Checks one address may make at once: many tabs behind one address may fail at once.</summary>
    public const int ChecksBurst = 20;

    public static IServiceCollection AddConnectCheck(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(RatePolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                AddressKey.Of(context.Connection.RemoteIpAddress)?.ToString() ?? "",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = ChecksBurst,
                    TokensPerPeriod = ChecksPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            options.OnRejected = (rejected, _) =>
            {
                var response = rejected.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = "1";
                response.Headers.CacheControl = "no-store";
                return new ValueTask(response.WriteAsJsonAsync(new ApiError("Too many checks from this address; retry in a second.", "rate_limited")));
            };
        });

    public static IEndpointRouteBuilder MapConnectCheck(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, CheckAsync)
            .RequireRateLimiting(RatePolicy)
            .RequireCors(CrossOriginPolicies.AnyOrigin)
            .WithTags("Status")
            .WithSummary("Would a WebSocket upgrade of this request be accepted?")
            .WithDescription(
                "The upgrade's checks in its order (draining, Origin, Host, connection limits, token from `Authorization: Bearer` or `?access_token=`) " +
                "without upgrading. 200 `{\"ok\": true, \"user\", \"permissions\": {\"subscribe\", \"publish\"}, \"time\"}`, or the upgrade's refusal " +
                "with `{\"error\", \"code\"}`: 401 `token_required` / `token_invalid`, 403 `origin_forbidden` / `host_forbidden`, 429 " +
                "`too_many_connections`, 503 `shutting_down` / `server_full` / `too_many_upgrades`; 429 `rate_limited` past 5 checks a second per address.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces<ApiError>(StatusCodes.Status401Unauthorized)
            .Produces<ApiError>(StatusCodes.Status403Forbidden)
            .Produces<ApiError>(StatusCodes.Status429TooManyRequests)
            .Produces<ApiError>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task CheckAsync(HttpContext context, UpgradeAdmission admission, UpgradeAuthenticator authenticator, ChannelAuthorizer authorizer, TimeProvider clock)
    {
        // The answer is about this request at this moment: never from a cache.
        context.Response.Headers.CacheControl = "no-store";
        if (admission.Check(context.Request, context.Connection.RemoteIpAddress) is { } refusal)
        {
            await refusal.WriteAsync(context);
            return;
        }

        // The upgrade's own decision, the connect proxy included: the page learns what its upgrade would be told.
        var authentication = await authenticator.AuthenticateAsync(context);
        if (authentication.RefusalCode is not null || authentication.BackendRefusal is not null)
        {
            await UpgradeAuthenticator.RefuseAsync(context, authentication);
            return;
        }

        var principal = authentication.Principal;
        var answer = ServerFrames.ConnectCheckAnswer(principal?.UserId, authorizer.PermissionsOf(principal), clock.GetUtcNow().UtcDateTime);
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(answer);
    }
}
