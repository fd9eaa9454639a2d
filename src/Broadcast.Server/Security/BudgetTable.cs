using System.Collections.Concurrent;

namespace Broadcast.Server.Security;

/// <summary>
/// Shared publish budgets by key (a client address, a channel), created on first use. A budget that has
/// refilled completely is the same as a new one, so such entries are forgotten about once a second: a
/// flood of distinct keys leaves nothing behind, and only keys that published within the last burst's
/// worth of time are held.
/// </summary>
internal sealed class BudgetTable<TKey>(PublishLimit limit, TimeProvider clock)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, PublishBudget> _budgets = new();
    private long _nextCleanup;
    private int _cleaning;

    public bool IsUnlimited => limit.IsUnlimited;

    /// <summary>Keys with a budget held now (diagnostics and tests).</summary>
    public int Count => _budgets.Count;

    public bool TryTake(TKey key, int bytes)
    {
        if (limit.IsUnlimited)
        {
            return true;
        }

        var now = clock.GetTimestamp();
        CleanUpIfDue(now);
        while (true)
        {
            var budget = _budgets.GetOrAdd(key, static (_, state) => new PublishBudget(state.limit, state.now, state.frequency), (limit, now, frequency: clock.TimestampFrequency));
            lock (budget)
            {
                if (!budget.Removed)
                {
                    return budget.TryTake(bytes, cost: 1, now);
                }
            }
        }
    }

    /// <summary>Gives back what <see cref="TryTake"/> took for a publish that a later budget refused.</summary>
    public void Refund(TKey key, int bytes)
    {
        if (!limit.IsUnlimited && _budgets.TryGetValue(key, out var budget))
        {
            lock (budget)
            {
                budget.Refund(bytes, cost: 1);
            }
        }
    }

    private void CleanUpIfDue(long now)
    {
        if (now < Volatile.Read(ref _nextCleanup) || Interlocked.Exchange(ref _cleaning, 1) == 1)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _nextCleanup, now + clock.TimestampFrequency);
            foreach (var (key, budget) in _budgets)
            {
                lock (budget)
                {
                    if (budget.IsFull(now))
                    {
                        budget.Removed = true;
                        _budgets.TryRemove(new KeyValuePair<TKey, PublishBudget>(key, budget));
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _cleaning, 0);
        }
    }
}
