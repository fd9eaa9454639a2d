namespace Broadcast.Server.Transport;

/// <summary>Frames taken from an <see cref="OutboundQueue"/> for one write, framed as the transport frames them.</summary>
public interface IFrameBatch
{
    /// <summary>Bytes collected so far: the queue stops adding at its limit.</summary>
    int Length { get; }

    void Add(in OutboundFrame frame);
}
