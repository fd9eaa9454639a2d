using Broadcast.Bench.Net;

namespace Broadcast.Bench.Load;

/// <summary>For connections that only publish or only connect: reads and forgets.</summary>
public sealed class DiscardSink : IFrameSink
{
    public static readonly DiscardSink Instance = new();

    public void OnText(ReadOnlySpan<byte> payload, long receivedTicks)
    {
    }
}
