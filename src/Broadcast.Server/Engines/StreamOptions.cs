using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Engines;

/// <summary>
/// What every engine keeps of a channel's stream: history and idempotency, from the <c>Broadcast:Channels</c>
/// section (which the channel layer reads too, for its own settings).
/// </summary>
public sealed class StreamOptions
{
    public const string Section = "Broadcast:Channels";

    /// <summary>Publications each channel keeps for resume and history. Zero keeps none (resume then never recovers).</summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Channels:HistorySize must be between {1} and {2}.")]
    public int HistorySize { get; set; } = 1000;

    /// <summary>How long a publication stays in history.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Broadcast:Channels:HistoryTtl must be between {1} and {2}.")]
    public TimeSpan HistoryTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a (session, message id) pair is remembered so a retried publish is not published twice.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Broadcast:Channels:IdempotencyWindow must be between {1} and {2}.")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(2);
}
