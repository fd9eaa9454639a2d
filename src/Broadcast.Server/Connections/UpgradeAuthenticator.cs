using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Reads the token of an upgrade request (the <c>Authorization</c> header, or the <c>access_token</c> query
/// parameter since browsers cannot set headers on a WebSocket) and has it validated; a client without a token
/// is asked about to the application's backend when the connect proxy is on. Answers 401 (or the backend's
/// 403) when the upgrade must be refused.
/// </summary>
internal sealed class UpgradeAuthenticator(TokenValidator tokens, IBackendHooks backend, ClientDialects dialects, IOptions<AuthOptions> options, ILogger<UpgradeAuthenticator> logger)
{
    public const string QueryParameter = "access_token";
    public const string TokenRequiredCode = "token_required";
    public const string TokenInvalidCode = "token_invalid";

    private readonly AuthOptions _options = options.Value;

    /// <summary>
    /// Checks the upgrade request's token. A token that is present but invalid is refused even when tokens
    /// are optional: a client that meant to authenticate must learn that it did not. The query parameter
    /// is removed from the request, so nothing later in the pipeline can see or log it. A client with a valid
    /// token is not asked about to the backend: its token says who it is.
    /// </summary>
    public async ValueTask<UpgradeAuthentication> AuthenticateAsync(HttpContext context, IList<string>? offeredProtocols = null, string transport = TransportNames.WebSocket)
    {
        var token = BearerToken.Parse(context.Request.Headers.Authorization.ToString()) ?? TakeQueryToken(context.Request);
        var headers = ForwardedHeaders(context.Request);
        var kept = backend.KeepsForwardedHeaders ? headers : ClientContext.NoHeaders;
        if (token is null)
        {
            if (backend.AsksOnConnect)
            {
                return await AskBackendAsync(context, offeredProtocols ?? context.WebSockets.WebSocketRequestedProtocols, headers, kept, transport);
            }

            if (_options.Required)
            {
                AuthLog.UpgradeRefused(logger, context.Connection.RemoteIpAddress, TokenRequiredCode, "no token");
                return new UpgradeAuthentication(null, TokenRequiredCode);
            }

            return UpgradeAuthentication.Anonymous with { ForwardedHeaders = kept };
        }

        var result = await tokens.ValidateAsync(token, context.RequestAborted);
        if (result.Principal is null)
        {
            AuthLog.UpgradeRefused(logger, context.Connection.RemoteIpAddress, TokenInvalidCode, result.Failure ?? "invalid");
            return new UpgradeAuthentication(null, TokenInvalidCode);
        }

        return new UpgradeAuthentication(result.Principal, null) { ForwardedHeaders = kept };
    }

    private async ValueTask<UpgradeAuthentication> AskBackendAsync(HttpContext context, IList<string> offeredProtocols, IReadOnlyDictionary<string, string> headers, IReadOnlyDictionary<string, string> kept, string transport)
    {
        var remote = context.Connection.RemoteIpAddress;
        var protocol = dialects.Choose(offeredProtocols).Name;
        var verdict = await backend.ConnectAsync(new ClientContext(null, protocol, remote?.ToString(), null, null, headers, transport), context.RequestAborted);
        if (verdict.Refusal is { } refusal)
        {
            AuthLog.UpgradeRefused(logger, remote, refusal.Code, refusal.Unavailable ? "the backend could not be asked" : "refused by the backend");
            return new UpgradeAuthentication(null, null) { BackendRefusal = refusal };
        }

        return new UpgradeAuthentication(verdict.Principal, null) { ConnectData = verdict.Data, ForwardedHeaders = kept };
    }

    /// <summary>
    /// Answers a refused upgrade: 401 with <c>{"error", "code"}</c>, as RFC 6750 describes for bearer tokens; a
    /// refusal of the backend is 403 with its code and text, or 503 with <c>Retry-After</c> when it could not be asked.
    /// </summary>
    public static Task RefuseAsync(HttpContext context, UpgradeAuthentication refused)
    {
        if (refused.BackendRefusal is { } backend)
        {
            context.Response.StatusCode = backend.Unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status403Forbidden;
            if (backend.Unavailable)
            {
                context.Response.Headers.RetryAfter = "5";
            }

            return context.Response.WriteAsJsonAsync(new { error = backend.Reason, code = backend.Code });
        }

        var code = refused.RefusalCode!;
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = code == TokenInvalidCode ? "Bearer error=\"invalid_token\"" : "Bearer";
        var error = code == TokenInvalidCode
            ? "The token is invalid or expired (signature, issuer, audience, expiry); send a valid one."
            : "A token is required: send it as 'Authorization: Bearer <token>' or as the access_token query parameter.";
        return context.Response.WriteAsJsonAsync(new { error, code });
    }

    /// <summary>The request headers the backend is to be sent (<see cref="IBackendHooks.ForwardedHeaders"/>), repeated values joined.</summary>
    private IReadOnlyDictionary<string, string> ForwardedHeaders(HttpRequest request)
    {
        var names = backend.ForwardedHeaders;
        if (names.Count == 0)
        {
            return ClientContext.NoHeaders;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (request.Headers.TryGetValue(name, out var value) && value.Count > 0)
            {
                headers[name] = value.ToString();
            }
        }

        return headers;
    }

    private static string? TakeQueryToken(HttpRequest request)
    {
        if (!request.Query.TryGetValue(QueryParameter, out var values))
        {
            return null;
        }

        var rest = new QueryBuilder();
        foreach (var (key, value) in QueryHelpers.ParseQuery(request.QueryString.Value))
        {
            if (!string.Equals(key, QueryParameter, StringComparison.OrdinalIgnoreCase))
            {
                rest.Add(key, (IEnumerable<string>)value!);
            }
        }

        request.QueryString = rest.ToQueryString();
        // Present but empty or repeated is an invalid token, not an anonymous client.
        return values.Count == 1 ? values[0] ?? "" : "";
    }
}
