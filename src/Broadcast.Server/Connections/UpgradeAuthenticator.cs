using Broadcast.Server.Security;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Reads the token of an upgrade request (the <c>Authorization</c> header, or the <c>access_token</c> query
/// parameter since browsers cannot set headers on a WebSocket) and has it validated; answers 401 when the
/// upgrade must be refused.
/// </summary>
internal sealed class UpgradeAuthenticator(TokenValidator tokens, IOptions<AuthOptions> options, ILogger<UpgradeAuthenticator> logger)
{
    public const string QueryParameter = "access_token";
    public const string TokenRequiredCode = "token_required";
    public const string TokenInvalidCode = "token_invalid";

    private readonly AuthOptions _options = options.Value;

    /// <summary>
    /// Checks the upgrade request's token. A token that is present but invalid is refused even when tokens
    /// are optional: a client that meant to authenticate must learn that it did not. The query parameter
    /// is removed from the request, so nothing later in the pipeline can see or log it.
    /// </summary>
    public async ValueTask<UpgradeAuthentication> AuthenticateAsync(HttpContext context)
    {
        var token = BearerToken.Parse(context.Request.Headers.Authorization.ToString()) ?? TakeQueryToken(context.Request);
        if (token is null)
        {
            if (_options.Required)
            {
                AuthLog.UpgradeRefused(logger, context.Connection.RemoteIpAddress, TokenRequiredCode, "no token");
                return new UpgradeAuthentication(null, TokenRequiredCode);
            }

            return UpgradeAuthentication.Anonymous;
        }

        var result = await tokens.ValidateAsync(token, context.RequestAborted);
        if (result.Principal is null)
        {
            AuthLog.UpgradeRefused(logger, context.Connection.RemoteIpAddress, TokenInvalidCode, result.Failure ?? "invalid");
            return new UpgradeAuthentication(null, TokenInvalidCode);
        }

        return new UpgradeAuthentication(result.Principal, null);
    }

    /// <summary>Answers a refused upgrade: 401 with <c>{"error", "code"}</c>, as RFC 6750 describes for bearer tokens.</summary>
    public static Task RefuseAsync(HttpContext context, string code)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = code == TokenInvalidCode ? "Bearer error=\"invalid_token\"" : "Bearer";
        var error = code == TokenInvalidCode
            ? "The token is invalid or expired (signature, issuer, audience, expiry); send a valid one."
            : "A token is required: send it as 'Authorization: Bearer <token>' or as the access_token query parameter.";
        return context.Response.WriteAsJsonAsync(new { error, code });
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
