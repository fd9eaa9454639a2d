namespace Broadcast.Server.Engines.Memory;

/// <summary>What the in-memory engine holds and what its bounds evicted (metrics); implemented outside the engine.</summary>
public interface IMemoryEngineObserver
{
    /// <summary>Called once, by the engine being created, so the observer can read its sizes when collected.</summary>
    void Observe(MemoryEngine engine);

    void ChannelsEvicted(int count);

    void HistoryEvicted(long bytes);

    void IdempotencyEvicted(int count);
}
