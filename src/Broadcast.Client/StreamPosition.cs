namespace Broadcast.Client;

/// <summary>
/// A subscriber's position in one channel's stream: the epoch and the highest offset it has accounted
/// for. It is what the client sends as <c>since</c> when it resubscribes, and the safety net that keeps
/// duplicates from the application. Not thread-safe: the client guards it with its lock.
/// </summary>
internal sealed class StreamPosition
{
    // Offsets of the client's own publications (from acks) above the position. The server never sends
    // them back, so they fill the gaps they leave once the publications before them have arrived.
    private readonly SortedSet<long> _ownAhead = [];

    public string? Epoch { get; private set; }

    public long Offset { get; private set; }

    public bool IsKnown => Epoch is not null;

    /// <summary>Starts over at the position the server reported (a new or unrecovered subscription).</summary>
    public void Reset(string epoch, long offset)
    {
        if (epoch != Epoch)
        {
            _ownAhead.Clear();
        }

        Epoch = epoch;
        Offset = offset;
        Advance();
    }

    /// <summary>True when the publication is new and moves the position; false for a duplicate.</summary>
    public bool Accept(string epoch, long offset)
    {
        if (epoch == Epoch && offset <= Offset)
        {
            return false;
        }

        if (epoch != Epoch)
        {
            _ownAhead.Clear();
            Epoch = epoch;
        }

        Offset = offset;
        Advance();
        return true;
    }

    /// <summary>Counts one of the client's own publications (it will never arrive as a pub).</summary>
    public void Acknowledged(string epoch, long offset)
    {
        if (epoch != Epoch || offset <= Offset)
        {
            return;
        }

        _ownAhead.Add(offset);
        Advance();
    }

    private void Advance()
    {
        // Only contiguous offsets move the position: a publication of someone else with a smaller offset
        // than an own ack may still be on its way, and must not look like a duplicate when it arrives.
        while (_ownAhead.Count > 0 && _ownAhead.Min <= Offset + 1)
        {
            Offset = Math.Max(Offset, _ownAhead.Min);
            _ownAhead.Remove(_ownAhead.Min);
        }
    }
}
