using System.Net.WebSockets;
using Broadcast.Server.Security;

namespace Broadcast.Server.Connections;

/// <summary>
/// Keeps a session's principal current: attaches the upgrade's, replaces it with a fresh token's (the
/// <c>auth</c> request), has the application's backend extend one it gave (the refresh proxy), and closes the
/// connection with 1008 when its time ran out without a refresh.
/// </summary>
public sealed partial class SessionPrincipal(PrincipalPolicy policy, IBackendHooks backend, TimeProvider clock, ILogger<SessionPrincipal> logger)
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
        }, (this, session), DueIn(principal), Timeout.InfiniteTimeSpan);
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
            timer.Change(DueIn(principal), Timeout.InfiniteTimeSpan);
        }
        else
        {
            Attach(session, principal);
        }

        return refresh;
    }

    private bool ExtendedByBackend(ClientPrincipal principal) => principal.Source == PrincipalSource.Backend && backend.AsksOnRefresh;

    private TimeSpan DueIn(ClientPrincipal principal) => ExtendedByBackend(principal) ? policy.DueInForBackend(principal) : policy.DueIn(principal);

    private void OnExpired(ClientSession session)
    {
        // A refresh that raced with the timer moved the deadline (or the timer fired a little early):
        // wait for the deadline that holds now.
        if (session.Principal is { } principal && DueIn(principal) is var due && due > TimeSpan.Zero)
        {
            session.ExpiryTimer?.Change(due, Timeout.InfiniteTimeSpan);
            return;
        }

        if (session.Principal is { } current && ExtendedByBackend(current))
        {
            _ = AskBackendAsync(session, current);
            return;
        }

        if (session.Frames.Close(WebSocketCloseStatus.PolicyViolation, "token expired", drainFirst: false))
        {
            AuthLog.Expired(logger, session.Id);
        }
    }

    /// <summary>The refresh proxy: a new deadline, or the end of the connection (1008 <c>token expired</c>, or the backend's close code).</summary>
    private async Task AskBackendAsync(ClientSession session, ClientPrincipal current)
    {
        var verdict = await backend.RefreshAsync(session.ForBackend(), CancellationToken.None);
        if (verdict.ExpiresAt is { } expires)
        {
            // Only if nothing replaced the principal meanwhile (a token sent with auth wins).
            if (ReferenceEquals(session.Principal, current))
            {
                var extended = current with { ExpiresAt = expires };
                session.Principal = extended;
                session.ExpiryTimer?.Change(DueIn(extended), Timeout.InfiniteTimeSpan);
            }

            return;
        }

        if (!ReferenceEquals(session.Principal, current))
        {
            return;
        }

        var refusal = verdict.Refusal!;
        var closed = refusal.CloseCode is { } code
            ? session.Frames.Close((WebSocketCloseStatus)code, refusal.CloseReason, drainFirst: false)
            : session.Frames.Close(WebSocketCloseStatus.PolicyViolation, "token expired", drainFirst: false);
        if (closed)
        {
            LogBackendEnded(logger, session.Id, refusal.Code);
        }
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Connection {ConnectionId}: the backend did not extend it ({Code}); closing")]
    private static partial void LogBackendEnded(ILogger logger, long connectionId, string code);
}
