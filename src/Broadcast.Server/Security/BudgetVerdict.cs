namespace Broadcast.Server.Security;

/// <summary>
/// The outcome of spending from the budgets: allowed, or refused by one budget (the client is told which,
/// with <c>rate_limited</c>), and whether the client has ignored so many refusals that it must be closed (1008).
/// </summary>
public readonly record struct BudgetVerdict(BudgetKind? RefusedBy, bool CloseConnection)
{
    public static BudgetVerdict Allowed => default;

    public bool IsAllowed => RefusedBy is null;
}
