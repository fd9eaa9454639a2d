using System.Net.WebSockets;
using Broadcast.Server.Security;

namespace Broadcast.Server.Connections;

/// <summary>
/// Keeps a session's principal current: attaches the upgrade's, replaces it with a fresh token's (the
/// <c>auth</c> request), and closes the connection with 1008 when its token ran out without a refresh.
/// </summary>
public sealed class SessionPrincipal(PrincipalPolicy policy, TimeProvider clock, ILogger<SessionPrincipal> logger)
{
    /// <summary>Gives a new connection its principal (if any) and the deadline that comes with it.</summary>
    public void Attach(ClientSession session, ClientPrincipal? principal)
    {
        if (principal is null)
        {
            return;
        }

        session.Principal = principal;
        session.ExpiryTimer = clock.CreateTimer(static state =>
        {
            var (self, target) = ((SessionPrincipal, ClientSession))state!;
            self.OnExpired(target);
        }, (this, session), policy.DueIn(principal), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Replaces the session's principal with <paramref name="token"/>'s. Returns why not (and changes nothing)
    /// when the token is invalid or names another user.
    /// </summary>
    public async ValueTask<TokenRefresh> RefreshAsync(ClientSession session, string? token, CancellationToken cancellationToken)
    {
        var refresh = await policy.RefreshAsync(session.Principal, token, cancellationToken);
        if (refresh.Principal is not { } principal)
        {
            AuthLog.RefreshRefused(logger, session.Id, refresh.Failure ?? "invalid");
            return refresh;
        }

        session.Principal = principal;
        if (session.ExpiryTimer is { } timer)
        {
            timer.Change(policy.DueIn(principal), Timeout.InfiniteTimeSpan);
        }
        else
        {
            Attach(session, principal);
        }

        return refresh;
    }

    private void OnExpired(ClientSession session)
    {
        // A refresh that raced with the timer moved the deadline (or the timer fired a little early):
        // wait for the deadline that holds now.
        if (session.Principal is { } principal && policy.DueIn(principal) is var due && due > TimeSpan.Zero)
        {
            session.ExpiryTimer?.Change(due, Timeout.InfiniteTimeSpan);
            return;
        }

        if (session.Frames.Close(WebSocketCloseStatus.PolicyViolation, "token expired", drainFirst: false))
        {
            AuthLog.Expired(logger, session.Id);
        }
    }
}
