namespace Broadcast.Server.Security;

/// <summary>
/// One connection's own budgets: what it may publish (messages and bytes) and how many other requests it
/// may make, with the refusals in a row of each. Used only from the connection's receive loop, so it needs
/// no lock. Created by <see cref="ClientBudgets"/>, which also checks the shared budgets.
/// </summary>
public sealed class ConnectionBudget
{
    internal ConnectionBudget(System.Net.IPAddress? address, PublishLimit publish, double requestsPerSecond, double requestBurst, long now, long ticksPerSecond)
    {
        Address = address;
        Publish = new PublishBudget(publish, now, ticksPerSecond);
        Requests = new TokenBucket(requestsPerSecond, requestBurst, now, ticksPerSecond);
    }

    /// <summary>The client's address as per-address budgets count it (<see cref="AddressKey.Of"/>); null when unknown.</summary>
    internal System.Net.IPAddress? Address { get; }

    internal PublishBudget Publish { get; }

    internal TokenBucket Requests;

    /// <summary>Publishes refused in a row by this connection's or its address's budget.</summary>
    internal int PublishStrikes { get; set; }

    /// <summary>Requests refused in a row.</summary>
    internal int RequestStrikes { get; set; }
}
