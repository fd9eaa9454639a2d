using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Channels;

/// <summary>
/// Channels as the channel layer sees them: the <c>Broadcast:Channels</c> section (its history and idempotency
/// keys are the engines' <see cref="Engines.StreamOptions"/>).
/// </summary>
public sealed class ChannelOptions
{
    public const string Section = "Broadcast:Channels";

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
