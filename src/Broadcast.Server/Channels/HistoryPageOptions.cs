using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Channels;

/// <summary>How large a history answer may be: the root key <c>Broadcast:HistoryPageBytes</c>.</summary>
public sealed class HistoryPageOptions
{
    public const string Section = "Broadcast";

    /// <summary>
    /// Largest history page (a WebSocket <c>history</c> reply, an HTTP history answer) in bytes: a longer
    /// answer stops early with <c>more: true</c> and the client asks for the rest. At least one publication
    /// is always returned, so a page may pass it by one publication.
    /// </summary>
    [Range(16 * 1024, 64 * 1024 * 1024, ErrorMessage = "Broadcast:HistoryPageBytes must be between {1} and {2}.")]
    public int HistoryPageBytes { get; set; } = 1024 * 1024;
}
