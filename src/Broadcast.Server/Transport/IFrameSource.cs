namespace Broadcast.Server.Transport;

/// <summary>
/// Where a queued live frame came from (a channel subscription, for the channel layer): what the outbound
/// queue needs to know about it when the queue is full or the source goes away. The queue never needs
/// more, so it knows nothing of channels.
/// </summary>
public interface IFrameSource
{
    /// <summary>True once the source ended (unsubscribed): its frames are refused from then on, under the queue's lock.</summary>
    bool IsEnded { get; }

    /// <summary>What a full queue does with this source's live frames.</summary>
    SlowConsumerPolicy SlowConsumerPolicy { get; }

    /// <summary>The frame telling the client that <paramref name="count"/> of this source's frames were dropped; written ahead of the frames that follow.</summary>
    ReadOnlyMemory<byte> DropNotice(int count);

    /// <summary>A replay paused for room (<see cref="IFrameSink.AwaitReplayRoom"/>) may queue its next portion: called by the writer.</summary>
    void ContinueReplay();
}
