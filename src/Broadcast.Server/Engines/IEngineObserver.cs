namespace Broadcast.Server.Engines;

/// <summary>What the engines report (metrics); implemented outside the engines.</summary>
public interface IEngineObserver
{
    /// <summary>An engine operation failed (<paramref name="engine"/>: <c>redis</c>).</summary>
    void EngineError(string engine, string errorType);

    /// <summary>One failed attempt of background work (<see cref="BackgroundRetry"/>); <paramref name="task"/> is one of a few fixed names.</summary>
    void BackgroundError(string task, string errorType);
}
