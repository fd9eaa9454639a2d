namespace Broadcast.Server.Security;

/// <summary>
/// One connection's publish budget: a token bucket refilled at <see cref="LimitsOptions.PublishRatePerSecond"/>
/// up to <see cref="LimitsOptions.PublishBurst"/>. Used only from the connection's receive loop, so it
/// needs no lock. SignalR and Socket.IO have no such limit; one client could otherwise flood a channel.
/// </summary>
public sealed class PublishRateLimiter
{
    private readonly double _ratePerTick;
    private readonly double _burst;
    private readonly int _strikeLimit;
    private readonly TimeProvider _clock;
    private double _tokens;
    private long _lastTimestamp;
    private int _strikes;

    internal PublishRateLimiter(LimitsOptions options, TimeProvider clock)
    {
        _clock = clock;
        _ratePerTick = options.PublishRatePerSecond / clock.TimestampFrequency;
        _burst = options.PublishBurst;
        _strikeLimit = options.RateLimitStrikes;
        _tokens = _burst;
        _lastTimestamp = clock.GetTimestamp();
        IsEnabled = options.PublishRatePerSecond > 0;
    }

    public bool IsEnabled { get; }

    /// <summary>The outcome of one publish attempt.</summary>
    public enum Verdict
    {
        Allowed,
        Refused,
        RefusedTooOften,
    }

    public Verdict TryPublish()
    {
        if (!IsEnabled)
        {
            return Verdict.Allowed;
        }

        var now = _clock.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + ((now - _lastTimestamp) * _ratePerTick));
        _lastTimestamp = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            _strikes = 0;
            return Verdict.Allowed;
        }

        return ++_strikes >= _strikeLimit ? Verdict.RefusedTooOften : Verdict.Refused;
    }
}
