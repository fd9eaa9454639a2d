using System.Collections.Concurrent;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The highest position this node has seen of each channel: offsets Redis handed it (acks, history reads,
/// delivered publications). Sent with each publish and read, so Redis can tell that a channel's stream went
/// backwards (a failover promoted a replica that lacked acknowledged publications) and start a new epoch
/// instead of handing those offsets out again to other publications.
/// </summary>
/// <remarks>
/// A mark only ever holds an offset Redis really gave out in that epoch, so it can never make a channel start
/// a new epoch for nothing; a mark that is missing or stale (a race between two observations, or forgotten
/// past <see cref="MaxChannels"/>) only means this node does not detect that loss itself.
/// </remarks>
internal sealed class ChannelMarks
{
    /// <summary>Channels remembered; past it the marks start again (each is a few dozen bytes).</summary>
    internal const int MaxChannels = 100_000;

    private readonly ConcurrentDictionary<string, StreamPosition> _marks = new(StringComparer.Ordinal);

    /// <summary>The channel's mark, or ("", 0) when this node has seen nothing of it.</summary>
    public StreamPosition Of(string channel) => _marks.TryGetValue(channel, out var mark) ? mark : new StreamPosition("", 0);

    /// <summary>
    /// Notes <paramref name="position"/>: a higher offset in the mark's epoch, or the position itself when the
    /// epoch is another one and <paramref name="current"/> (the engine gave it out just now: not a duplicate's
    /// recorded position, which may be of an older epoch).
    /// </summary>
    public void Observe(string channel, StreamPosition position, bool current = true)
    {
        if (_marks.TryGetValue(channel, out var mark))
        {
            if (string.Equals(mark.Epoch, position.Epoch, StringComparison.Ordinal) ? mark.Offset >= position.Offset : !current)
            {
                return;
            }
        }
        else if (_marks.Count >= MaxChannels)
        {
            _marks.Clear();
        }

        _marks[channel] = position;
    }

    /// <summary>Every channel with a mark (for the check after a failover).</summary>
    public IEnumerable<string> Channels => _marks.Keys;
}
