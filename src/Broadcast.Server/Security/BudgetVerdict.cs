namespace Broadcast.Server.Security;

/// <summary>
/// The outcome of spending from the budgets: allowed, or refused with the <c>rate_limited</c> error saying
/// which budget refused, and whether the client has ignored so many refusals that it must be closed (1008).
/// </summary>
public readonly record struct BudgetVerdict(Protocol.ProtocolError? Error, bool CloseConnection)
{
    public static BudgetVerdict Allowed => default;

    public bool IsAllowed => Error is null;
}
