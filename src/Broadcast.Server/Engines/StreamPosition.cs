namespace Broadcast.Server.Engines;

/// <summary>A position in a channel's stream: the epoch of its history and an offset within it.</summary>
public readonly record struct StreamPosition(string Epoch, long Offset)
{
    /// <summary>
    /// The largest offset a client may name (2^53 - 1): every JSON client can hold it exactly (a JavaScript
    /// number cannot go further), and one more still fits every engine's arithmetic.
    /// </summary>
    public const long MaxOffset = 9_007_199_254_740_991;
}
