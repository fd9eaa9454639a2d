using System.Diagnostics;
using Broadcast.Bench.Net;

namespace Broadcast.Bench.Load;

/// <summary>
/// Counts what one subscriber receives, per publisher: unique, duplicated and reordered messages (a
/// bitset of sequence numbers and the highest one seen), and records each message's latency from its
/// scheduled send time. Only the connection's receive loop touches it; others read its counters racily
/// for progress, which is fine for 64-bit counters.
/// </summary>
public sealed class SubscriberTracker : IFrameSink
{
    private readonly RunPlan _plan;
    private readonly ulong[]?[] _seen;
    private readonly long[] _highest;
    private readonly long _ticksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    public SubscriberTracker(RunPlan plan, int ownPublisher)
    {
        _plan = plan;
        OwnPublisher = ownPublisher;
        _seen = new ulong[]?[plan.Publishers];
        _highest = new long[plan.Publishers];
        Array.Fill(_highest, -1);
    }

    private static ReadOnlySpan<byte> Marker => "\"message\":\""u8;

    /// <summary>The publisher whose messages this client must not receive (its own), or -1.</summary>
    public int OwnPublisher { get; }

    /// <summary>Every message of ours received, warm-up included (for progress and quiescence).</summary>
    public long Received { get; private set; }

    /// <summary>Distinct measured messages received.</summary>
    public long Unique { get; private set; }

    public long Duplicates { get; private set; }

    public long Reordered { get; private set; }

    /// <summary>Messages not published by this run (another client's, or not our text at all).</summary>
    public long Foreign { get; private set; }

    /// <summary>This client's own messages sent back to it: the server broke "every other client" (exclude-sender).</summary>
    public long OwnEchoes { get; private set; }

    public long ErrorFrames { get; private set; }

    public long LastReceivedTicks { get; private set; }

    public long LastMeasuredTicks { get; private set; }

    public void OnText(ReadOnlySpan<byte> payload, long receivedTicks)
    {
        LastReceivedTicks = receivedTicks;
        var found = false;
        int index;
        // Several messages may share a frame (SignalR batches them), so look for every one.
        while ((index = payload.IndexOf(Marker)) >= 0)
        {
            found = true;
            payload = payload[(index + Marker.Length)..];
            if (!MessageText.TryRead(payload, out var publisher, out var sequence, out var scheduled)
                || (uint)publisher >= (uint)_seen.Length)
            {
                Foreign++;
                continue;
            }

            if (publisher == OwnPublisher)
            {
                OwnEchoes++;
                continue;
            }

            Received++;
            if (sequence >= _plan.WarmupCount)
            {
                Track(publisher, sequence, receivedTicks);
                LatencyHistograms.Record((receivedTicks - scheduled) / _ticksPerMicrosecond);
            }
        }

        if (!found && payload.IndexOf("\"error\""u8) >= 0)
        {
            ErrorFrames++;
        }
    }

    private void Track(int publisher, long sequence, long receivedTicks)
    {
        var seen = _seen[publisher] ??= new ulong[(_plan.TotalPerPublisher >> 6) + 1];
        var word = sequence >> 6;
        if (word < seen.Length)
        {
            var bit = 1UL << (int)(sequence & 63);
            if ((seen[word] & bit) != 0)
            {
                Duplicates++;
                return;
            }

            seen[word] |= bit;
        }

        if (sequence < _highest[publisher])
        {
            Reordered++;
        }
        else
        {
            _highest[publisher] = sequence;
        }

        Unique++;
        LastMeasuredTicks = receivedTicks;
    }
}
