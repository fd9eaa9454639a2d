using System.Net.WebSockets;
using Broadcast.Server.Configuration;
using Broadcast.Server.Connections;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Authenticates WebSocket clients: reads the token of the upgrade request (the <c>Authorization</c>
/// header, or the <c>access_token</c> query parameter since browsers cannot set headers on a WebSocket),
/// keeps a connection's principal current when the client sends a fresh token, and closes the
/// connection with 1008 when its token ran out without one.
/// </summary>
internal sealed class ConnectionAuthenticator(
    TokenValidator tokens,
    ConnectionEvents events,
    TimeProvider clock,
    IOptions<BroadcastOptions> options,
    ILogger<ConnectionAuthenticator> logger)
{
    public const string QueryParameter = "access_token";
    public const string TokenRequiredCode = "token_required";
    public const string TokenInvalidCode = "token_invalid";

    private readonly AuthOptions _options = options.Value.Auth;

    /// <summary>
    /// Checks the upgrade request's token. A token that is present but invalid is refused even when tokens
    /// are optional: a client that meant to authenticate must learn that it did not. The query parameter
    /// is removed from the request, so nothing later in the pipeline can see or log it.
    /// </summary>
    public UpgradeAuthentication Authenticate(HttpContext context)
    {
        var token = ReadBearer(context.Request.Headers.Authorization.ToString()) ?? TakeQueryToken(context.Request);
        if (token is null)
        {
            if (_options.Required)
            {
                AuthLog.UpgradeRefused(logger, context.Connection.RemoteIpAddress, TokenRequiredCode, "no token");
                return new UpgradeAuthentication(null, TokenRequiredCode);
            }

            return UpgradeAuthentication.Anonymous;
        }

        var result = tokens.Validate(token);
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

    /// <summary>Gives a new connection its principal (if any) and the deadline that comes with it.</summary>
    public void Attach(ClientConnection connection, ClientPrincipal? principal)
    {
        if (principal is null)
        {
            return;
        }

        connection.Principal = principal;
        connection.ExpiryTimer = clock.CreateTimer(static state =>
        {
            var (self, target) = ((ConnectionAuthenticator, ClientConnection))state!;
            self.OnExpired(target);
        }, (this, connection), DueIn(principal), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Replaces the connection's principal with a fresh token's (the <c>auth</c> request). The user may not
    /// change on an open connection: presence already shows it, and a stolen connection must not become
    /// someone else's. Returns the new principal, or null with the error to reply.
    /// </summary>
    public (ClientPrincipal? Principal, Protocol.ProtocolError? Error) Refresh(ClientConnection connection, string? token)
    {
        var result = tokens.Validate(token);
        if (result.Principal is not { } principal)
        {
            AuthLog.RefreshRefused(logger, connection.Id, result.Failure ?? "invalid");
            return (null, Protocol.ProtocolErrors.TokenInvalid);
        }

        if (connection.Principal is { UserId: { } current } && !string.Equals(current, principal.UserId, StringComparison.Ordinal))
        {
            AuthLog.RefreshRefused(logger, connection.Id, "different user");
            return (null, Protocol.ProtocolErrors.UserMismatch);
        }

        connection.Principal = principal;
        if (connection.ExpiryTimer is { } timer)
        {
            timer.Change(DueIn(principal), Timeout.InfiniteTimeSpan);
        }
        else
        {
            Attach(connection, principal);
        }

        return (principal, null);
    }

    /// <summary>
    /// The longest a deadline timer is set for: timers take at most about 49 days, and a token may expire
    /// in year 9999. A timer that fires before the deadline looks again and waits for the rest (<see cref="OnExpired"/>).
    /// </summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    /// <summary>The connection may stay open until expiry plus the clock skew the token was accepted with, plus the grace to refresh.</summary>
    private TimeSpan DueIn(ClientPrincipal principal)
    {
        // Subtracting first keeps every value far from DateTimeOffset's limits.
        var due = principal.ExpiresAt - clock.GetUtcNow() + _options.ClockSkew + _options.ExpiryGrace;
        return due < TimeSpan.Zero ? TimeSpan.Zero : due > LongestWait ? LongestWait : due;
    }

    private void OnExpired(ClientConnection connection)
    {
        // A refresh that raced with the timer moved the deadline (or the timer fired a little early):
        // wait for the deadline that holds now.
        if (connection.Principal is { } principal && DueIn(principal) is var due && due > TimeSpan.Zero)
        {
            connection.ExpiryTimer?.Change(due, Timeout.InfiniteTimeSpan);
            return;
        }

        if (connection.RequestClose(new CloseRequest(WebSocketCloseStatus.PolicyViolation, "token expired", DrainFirst: false, events.CloseTimeout)))
        {
            AuthLog.Expired(logger, connection.Id);
        }
    }

    private static string? ReadBearer(string header) =>
        header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;

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
