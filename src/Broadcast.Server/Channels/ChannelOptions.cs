using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Channels;

/// <summary>Channels, history and idempotency: the <c>Broadcast:Channels</c> section.</summary>
public sealed class ChannelOptions
{
    /// <summary>Publications each channel keeps for resume and history. Zero keeps none (resume then never recovers).</summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Channels:HistorySize must be between {1} and {2}.")]
    public int HistorySize { get; set; } = 1000;

    /// <summary>How long a publication stays in history.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Broadcast:Channels:HistoryTtl must be between {1} and {2}.")]
    public TimeSpan HistoryTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a (session, message id) pair is remembered so a retried publish is not published twice.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Broadcast:Channels:IdempotencyWindow must be between {1} and {2}.")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Channels one connection may be subscribed to at once.</summary>
    [Range(1, 10_000, ErrorMessage = "Broadcast:Channels:MaxChannelsPerConnection must be between {1} and {2}.")]
    public int MaxChannelsPerConnection { get; set; } = 64;

    /// <summary>
    /// Channels (comma-separated patterns, <c>*</c> as wildcard) whose publications are dropped oldest-first
    /// when a subscriber's queue is full, instead of disconnecting the subscriber. The client is told how many it lost.
    /// </summary>
    [RegularExpression(PatternListRegex, ErrorMessage = "Broadcast:Channels:DropOldest must be comma-separated channel patterns (A-Z a-z 0-9 _ - . : @ / and *).")]
    public string DropOldest { get; set; } = "";

    /// <summary>
    /// Channels (comma-separated patterns) where only the newest publication matters: when a subscriber's queue
    /// is full, its older queued publications of the channel are dropped. Checked before <see cref="DropOldest"/>.
    /// </summary>
    [RegularExpression(PatternListRegex, ErrorMessage = "Broadcast:Channels:KeepLatest must be comma-separated channel patterns (A-Z a-z 0-9 _ - . : @ / and *).")]
    public string KeepLatest { get; set; } = "";

    private const string PatternListRegex = @"^[A-Za-z0-9_.:@/*, -]*$";
}
