using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// What the in-memory engine may hold in total: the <c>Broadcast:Memory</c> section. Each bound evicts the
/// oldest first, and what it evicts is announced the usual way (a resume that needed it says
/// <c>recovered: false</c>; a history read says <c>truncated: true</c>).
/// </summary>
public sealed class MemoryEngineOptions
{
    public const string Section = "Broadcast:Memory";

    /// <summary>
    /// Channels whose state (epoch, offsets, history, message ids) the node holds. Past it, the channels least
    /// recently published to that have no subscriber and no presence here are forgotten, history included.
    /// A read of a channel nobody uses costs about 200 bytes until then (issue 11: 30,000 history reads on
    /// distinct channels held 8 KB each).
    /// </summary>
    [Range(1, 100_000_000, ErrorMessage = "Broadcast:Memory:MaxChannels must be between {1} and {2}.")]
    public int MaxChannels { get; set; } = 100_000;

    /// <summary>
    /// Bytes of history kept across every channel: each publication's message (escaped JSON) plus
    /// <see cref="PublicationRing.OverheadBytes"/>. Past it, the history of the channels least recently
    /// published to is evicted first, oldest publications first.
    /// </summary>
    [Range(typeof(long), "65536", "1099511627776", ErrorMessage = "Broadcast:Memory:MaxHistoryBytes must be between {1} and {2}.")]
    public long MaxHistoryBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// (session, message id) pairs remembered across every channel for idempotent publishing. Past it, the
    /// oldest are forgotten before their window (Broadcast:Channels:IdempotencyWindow) ends: a retry of one of
    /// those is published again.
    /// </summary>
    [Range(1, 100_000_000, ErrorMessage = "Broadcast:Memory:MaxIdempotencyRecords must be between {1} and {2}.")]
    public int MaxIdempotencyRecords { get; set; } = 200_000;
}
