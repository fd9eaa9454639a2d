namespace Broadcast.Server.Security;

/// <summary>Which budget refused a publish or request (the <c>broadcast.budget</c> attribute of the metric).</summary>
public enum BudgetKind
{
    /// <summary>The connection's own publish budget.</summary>
    Connection,

    /// <summary>The publish budget its address's anonymous connections share.</summary>
    Address,

    /// <summary>The channel's publish budget on this node: not the publisher's fault.</summary>
    Channel,

    /// <summary>The connection's budget of requests other than publish.</summary>
    Requests,
}
