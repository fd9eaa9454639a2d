namespace Broadcast.Server.Security;

/// <summary>What the limits refused (metrics); implemented outside the security layer.</summary>
public interface ILimitObserver
{
    /// <summary>A publish or request refused with <c>rate_limited</c> by <paramref name="budget"/>.</summary>
    void RateLimited(BudgetKind budget);

    /// <summary>A TCP connection closed before anything was read: its address holds <c>Broadcast:Limits:MaxSocketsPerAddress</c>.</summary>
    void SocketRefused();
}
