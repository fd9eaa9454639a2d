using Broadcast.Server.Connections;
using Broadcast.Server.Security;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Broadcast.Server.Http;

/// <summary>
/// CORS for the HTTP API, following <c>Broadcast:Limits:AllowedOrigins</c> as the WebSocket upgrade does (the
/// same <see cref="OriginPolicy"/> decides): a page on an allowed origin may call the API (preflights and
/// actual answers, errors included), any other page's browser is not let read the answers. Credentials
/// (cookies) are never allowed: the API's key is a header (<c>X-API-Key</c> or <c>Authorization</c>), so a
/// page holding a key sends it itself, and a browser's cookies for this server are worth nothing here.
/// </summary>
internal sealed class CrossOriginPolicies(OriginPolicy origins) : ICorsPolicyProvider
{
    /// <summary>The HTTP API's policy: the origins <c>AllowedOrigins</c> allows (empty: the server's own, and loopback ones while reached on loopback).</summary>
    public const string Api = "api";

    /// <summary>For answers that depend on nothing but the request (<c>/api/connect-check</c>): every origin may read them.</summary>
    public const string AnyOrigin = "any-origin";

    /// <summary>HTTP streaming and SSE: the origins <c>AllowedOrigins</c> allows, with the headers those transports use.</summary>
    public const string Streaming = "streaming";

    /// <summary>How long a browser may keep a preflight's answer.</summary>
    private static readonly TimeSpan PreflightMaxAge = TimeSpan.FromMinutes(10);

    private static readonly CorsPolicy Everyone = Build(new CorsPolicyBuilder().AllowAnyOrigin());

    private static readonly CorsPolicy EveryoneStreaming = BuildStreaming(new CorsPolicyBuilder().AllowAnyOrigin());

    public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
    {
        if (policyName == AnyOrigin || (policyName == Api && origins.AllowsAll))
        {
            return Task.FromResult<CorsPolicy?>(Everyone);
        }

        if (policyName == Streaming && origins.AllowsAll)
        {
            return Task.FromResult<CorsPolicy?>(EveryoneStreaming);
        }

        if (policyName != Api && policyName != Streaming)
        {
            return Task.FromResult<CorsPolicy?>(null);
        }

        // Decided per request: with AllowedOrigins empty, the server's own origin is told by the request's Host.
        var request = context.Request;
        var allowed = new CorsPolicyBuilder().SetIsOriginAllowed(_ => origins.IsAllowed(request));
        return Task.FromResult<CorsPolicy?>(policyName == Streaming ? BuildStreaming(allowed) : Build(allowed));
    }

    /// <summary>The stream's token header on POSTs, <c>Last-Event-ID</c> on an SSE reconnect; no credentials either.</summary>
    private static CorsPolicy BuildStreaming(CorsPolicyBuilder builder) => builder
        .WithMethods(HttpMethods.Get, HttpMethods.Post)
        .WithHeaders("Authorization", "Content-Type", HttpStreamEndpoint.TokenHeader, "Last-Event-ID")
        .WithExposedHeaders("Retry-After")
        .SetPreflightMaxAge(PreflightMaxAge)
        .Build();

    private static CorsPolicy Build(CorsPolicyBuilder builder) => builder
        .WithMethods(HttpMethods.Get, HttpMethods.Post)
        .WithHeaders("X-API-Key", "Authorization", "Content-Type")
        .WithExposedHeaders("Retry-After")
        .SetPreflightMaxAge(PreflightMaxAge)
        .Build();
}
