namespace Broadcast.Bench.Net;

/// <summary>Receives the payload of every text frame a connection reads.</summary>
public interface IFrameSink
{
    /// <param name="payload">The frame's payload; valid only during the call.</param>
    /// <param name="receivedTicks">Stopwatch timestamp of the read that completed the frame.</param>
    void OnText(ReadOnlySpan<byte> payload, long receivedTicks);
}
