namespace Broadcast.Server.Security;

/// <summary>
/// One budget's two buckets, counted together: a publish takes one message and its bytes from both, or
/// nothing. Not thread-safe: a connection's own budget is used by its receive loop only; shared budgets
/// (an address's, a channel's) are used under their <see cref="BudgetTable{TKey}"/> entry's lock.
/// </summary>
internal sealed class PublishBudget(PublishLimit limit, long now, long ticksPerSecond)
{
    private TokenBucket _messages = new(limit.MessagesPerSecond, limit.MessageBurst, now, ticksPerSecond);
    private TokenBucket _bytes = new(limit.BytesPerSecond, limit.ByteBurst, now, ticksPerSecond);

    /// <summary>Set once a <see cref="BudgetTable{TKey}"/> forgot this entry; a caller holding it must look the key up again.</summary>
    public bool Removed { get; set; }

    /// <param name="cost">What one message counts for: 1, or less for connections allowed more (authenticated ones).</param>
    public bool TryTake(int bytes, double cost, long now)
    {
        if (!_messages.TryTake(cost, now))
        {
            return false;
        }

        if (!_bytes.TryTake(bytes * cost, now))
        {
            _messages.Refund(cost);
            return false;
        }

        return true;
    }

    public void Refund(int bytes, double cost)
    {
        _messages.Refund(cost);
        _bytes.Refund(bytes * cost);
    }

    public bool IsFull(long now) => _messages.IsFull(now) && _bytes.IsFull(now);
}
