namespace Broadcast.Server.Security;

/// <summary>
/// A token bucket: refilled continuously at a rate per second up to a capacity (the burst). Not thread-safe:
/// its owner either uses it from one thread (a connection's receive loop) or locks around it.
/// </summary>
internal struct TokenBucket
{
    private readonly double _perTick;
    private readonly double _capacity;
    private double _tokens;
    private long _last;

    /// <param name="perSecond">The refill rate; 0 makes the bucket unlimited.</param>
    /// <param name="capacity">Tokens it holds at most, and to begin with.</param>
    public TokenBucket(double perSecond, double capacity, long now, long ticksPerSecond)
    {
        _perTick = perSecond / ticksPerSecond;
        _capacity = Math.Max(capacity, 1);
        _tokens = _capacity;
        _last = now;
    }

    public readonly bool IsUnlimited => _perTick <= 0;

    /// <summary>
    /// Takes <paramref name="amount"/> tokens if the bucket holds them. An amount larger than the whole capacity
    /// passes when the bucket is full and leaves it in debt, so a byte budget below one large message slows it
    /// down instead of refusing it for ever.
    /// </summary>
    public bool TryTake(double amount, long now)
    {
        if (IsUnlimited)
        {
            return true;
        }

        Refill(now);
        if (_tokens < amount && _tokens < _capacity)
        {
            return false;
        }

        _tokens -= amount;
        return true;
    }

    /// <summary>Gives back what <see cref="TryTake"/> took, when a later check refused the same publish.</summary>
    public void Refund(double amount)
    {
        if (!IsUnlimited)
        {
            _tokens = Math.Min(_capacity, _tokens + amount);
        }
    }

    /// <summary>True when the bucket is back at its capacity: then it is the same as a new one, and may be forgotten.</summary>
    public bool IsFull(long now)
    {
        if (IsUnlimited)
        {
            return true;
        }

        Refill(now);
        return _tokens >= _capacity;
    }

    private void Refill(long now)
    {
        if (now > _last)
        {
            _tokens = Math.Min(_capacity, _tokens + ((now - _last) * _perTick));
            _last = now;
        }
    }
}
