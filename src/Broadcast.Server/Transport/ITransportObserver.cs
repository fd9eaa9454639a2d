namespace Broadcast.Server.Transport;

/// <summary>What the transport reports as it writes (metrics); implemented outside the transport.</summary>
public interface ITransportObserver
{
    /// <summary>One write: publication frames and bytes written.</summary>
    void FramesSent(int publications, long bytes);

    /// <summary>The latency of the write's oldest live frame: now minus <paramref name="publishedUtcTicks"/>.</summary>
    void DeliveryLatency(long publishedUtcTicks);

    /// <summary>Live frames not delivered because a queue was full (or a client was cut off with them queued).</summary>
    void FramesDropped(int count);

    /// <summary>A client closed with 1008 because <paramref name="cause"/> did not fit in its queue of <paramref name="capacity"/> live frames.</summary>
    void SlowConsumer(long connectionId, System.Net.IPAddress? remoteAddress, OverflowCause cause, int capacity);
}
