using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// How long a connection may keep its principal, and whether a fresh token may replace it. Decisions only:
/// the connection's owner keeps the timer and closes the connection.
/// </summary>
public sealed class PrincipalPolicy(TokenValidator tokens, IOptions<AuthOptions> options, TimeProvider clock)
{
    /// <summary>
    /// The longest a deadline timer is set for: timers take at most about 49 days, and a token may expire
    /// in year 9999. A timer that fires before the deadline looks again and waits for the rest.
    /// </summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly AuthOptions _options = options.Value;

    /// <summary>The connection may stay open until expiry plus the clock skew the token was accepted with, plus the grace to refresh.</summary>
    public TimeSpan DueIn(ClientPrincipal principal) => Clamp(principal.ExpiresAt - clock.GetUtcNow() + _options.ClockSkew + _options.ExpiryGrace);

    /// <summary>
    /// A principal the application's backend extends (the refresh proxy) is asked about at its deadline itself:
    /// the backend set it, so no skew or grace is added.
    /// </summary>
    public TimeSpan DueInForBackend(ClientPrincipal principal) => Clamp(principal.ExpiresAt - clock.GetUtcNow());

    // Subtracting first (in the callers) keeps every value far from DateTimeOffset's limits.
    private static TimeSpan Clamp(TimeSpan due) => due < TimeSpan.Zero ? TimeSpan.Zero : due > LongestWait ? LongestWait : due;

    /// <summary>
    /// Whether <paramref name="token"/> may replace <paramref name="current"/> (the <c>auth</c> request). The user
    /// may not change on an open connection: presence already shows it, and a stolen connection must not become
    /// someone else's. The outcome's failure says why not, for the log.
    /// </summary>
    public async ValueTask<TokenRefresh> RefreshAsync(ClientPrincipal? current, string? token, CancellationToken cancellationToken)
    {
        var result = await tokens.ValidateAsync(token, cancellationToken);
        if (result.Principal is not { } principal)
        {
            return new TokenRefresh(TokenRefusal.Invalid, null, result.Failure ?? "invalid");
        }

        if (current is { UserId: { } user } && !string.Equals(user, principal.UserId, StringComparison.Ordinal))
        {
            return new TokenRefresh(TokenRefusal.UserMismatch, null, "different user");
        }

        return new TokenRefresh(TokenRefusal.None, principal, null);
    }
}
