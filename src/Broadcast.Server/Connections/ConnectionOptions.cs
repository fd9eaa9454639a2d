using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Connections;

/// <summary>One client's connection: the root keys <c>Broadcast:MaxMessageBytes</c> and <c>Broadcast:ShutdownTimeout</c>.</summary>
public sealed class ConnectionOptions
{
    public const string Section = "Broadcast";

    /// <summary>Largest inbound message accepted, in bytes (inclusive). Larger → close 1009. Default 64 KiB, as Centrifugo.</summary>
    [Range(16, 16 * 1024 * 1024, ErrorMessage = "Broadcast:MaxMessageBytes must be between {1} and {2}.")]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>On SIGTERM: how long clients get to receive what is queued for them and the 1001 close.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Broadcast:ShutdownTimeout must be between {1} and {2}.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
