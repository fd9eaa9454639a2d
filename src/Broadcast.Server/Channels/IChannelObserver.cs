namespace Broadcast.Server.Channels;

/// <summary>What the channel layer reports (metrics); implemented outside it.</summary>
public interface IChannelObserver
{
    /// <summary>A publication was accepted by the engine (a duplicate of a retried publish is not counted).</summary>
    void Published();
}
