using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Connections;

/// <summary>The transports beside WebSocket: HTTP streaming (<c>/stream</c>) and Server-Sent Events (<c>/sse</c>), section <c>Broadcast:Streaming</c>.</summary>
public sealed class StreamingOptions
{
    public const string Section = "Broadcast:Streaming";

    /// <summary>Serve <c>/stream</c>, <c>/stream/send</c> and <c>/sse</c>; false answers them 404, as if they did not exist.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Largest body of one POST to <c>/stream/send</c> (its lines together); a larger one is refused with 413
    /// <c>body_too_large</c> and none of it is handled. Each line is also bounded by <c>Broadcast:MaxMessageBytes</c>.
    /// </summary>
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "Broadcast:Streaming:MaxPostBytes must be between {1} and {2}.")]
    public int MaxPostBytes { get; set; } = 1024 * 1024;
}
