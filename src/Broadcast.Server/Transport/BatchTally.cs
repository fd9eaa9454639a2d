using System.Runtime.CompilerServices;
namespace Broadcast.Server.Transport;

/// <summary>
/// What every transport's batch counts of the frames it takes, whatever its framing: the publications (replies and
/// notices are not deliveries) and when the oldest live one was accepted (one latency sample per write).
/// </summary>
internal struct BatchTally
{
    public int Publications { get; private set; }

    public long OldestLiveTicks { get; private set; }

    [MethodImpl(HotPath.Compile)]
    public void Count(in OutboundFrame frame)
    {
        if (frame.PublishedUtcTicks != 0)
        {
            Publications++;
            if (frame.Kind == OutboundFrameKind.Live && OldestLiveTicks == 0)
            {
                OldestLiveTicks = frame.PublishedUtcTicks;
            }
        }
    }
}
