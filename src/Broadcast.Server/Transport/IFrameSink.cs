namespace Broadcast.Server.Transport;

/// <summary>
/// The outbound side of one client connection, whatever carries it (a WebSocket today): one bounded queue
/// that anyone may add to without waiting, written by the transport's writer in flush rounds. Frames are
/// shared, encoded bytes: they must not change once queued.
/// </summary>
public interface IFrameSink
{
    /// <summary>
    /// From now on, sends every data frame as a binary frame rather than a text frame: for a dialect whose frames
    /// are binary (MessagePack). Called before anything is queued, when the dialect takes the connection.
    /// </summary>
    void UseBinaryFrames();

    /// <summary>Set once the server decided to close the connection; nothing queued after it is written.</summary>
    bool IsClosing { get; }

    /// <summary>
    /// Set when the connection negotiated permessage-deflate: publications of at least its
    /// <see cref="FrameCompression.MinBytes"/> may be queued compressed (<c>compressed: true</c>). Null otherwise.
    /// </summary>
    FrameCompression? Compression { get; }

    /// <summary>Live frames waiting to be written (a gauge: read without the queue's lock).</summary>
    int QueuedFrames { get; }

    /// <summary>Bytes of every frame waiting to be written (a gauge).</summary>
    long QueuedBytes { get; }

    /// <summary>Live frames that may wait (<c>Broadcast:OutboundQueueCapacity</c>).</summary>
    int QueueCapacity { get; }

    /// <summary>Bytes that may wait (<c>Broadcast:OutboundQueueBytes</c>).</summary>
    long QueueByteCapacity { get; }

    /// <summary>Bytes a reply may still take before the queue is full; a history page is cut to it.</summary>
    long FreeQueueBytes { get; }

    /// <summary>True while a replay may queue more of itself (the queue is at most half full).</summary>
    bool HasReplayRoom { get; }

    /// <summary>
    /// Queues a reply, error or notice. Returns false if the connection is closing or just overflowed (a
    /// reply that does not fit closes the client with 1008: replies are never dropped).
    /// </summary>
    bool TryEnqueue(ReadOnlyMemory<byte> frame);

    /// <summary>
    /// Queues the answer to a request the client waits for (an ack, a reply, its error): as <see cref="TryEnqueue"/>,
    /// but when nothing else waits to be written to this connection it is written at once instead of in the next
    /// flush round, whose wait is there to batch fan-out. A client that waits for each answer would otherwise wait
    /// for a round (a timer: a few milliseconds) per request.
    /// </summary>
    bool TryEnqueueReply(ReadOnlyMemory<byte> frame) => TryEnqueue(frame);

    /// <summary>Queues a live frame of <paramref name="source"/>, whose slow-consumer policy applies when the queue is full.</summary>
    /// <param name="publishedUtcTicks">When the publication was accepted, for the delivery latency metric.</param>
    /// <param name="compressed">The bytes were compressed with <see cref="Compression"/> (their frame gets RSV1).</param>
    bool EnqueueLive(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false);

    /// <summary>Queues a replayed frame: never refused for room, since its sender queues only while <see cref="HasReplayRoom"/> holds.</summary>
    bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false);

    /// <summary>Has <paramref name="source"/>'s paused replay continued (<see cref="IFrameSource.ContinueReplay"/>) once the queue has room.</summary>
    void AwaitReplayRoom(IFrameSource source);

    /// <summary>Frames of <paramref name="source"/> dropped before they reached the queue; the client is told with the next write.</summary>
    void ReportDropped(IFrameSource source, int count);

    /// <summary>More arrived for a source that disconnects than the queue may hold: close with 1008 as a slow consumer.</summary>
    void CloseAsSlowConsumer();

    /// <summary>
    /// Starts closing the connection; the first request wins (later ones return false). What is queued is
    /// written first (or, unless <see cref="CloseRequest.DrainFirst"/>, dropped), then the close follows.
    /// </summary>
    bool RequestClose(CloseRequest request);

    /// <summary><see cref="RequestClose"/> with the transport's close timeout (<c>Broadcast:CloseTimeout</c>).</summary>
    bool Close(System.Net.WebSockets.WebSocketCloseStatus status, string reason, bool drainFirst);
}
