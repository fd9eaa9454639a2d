using System.ComponentModel.DataAnnotations;
using System.IO.Compression;

namespace Broadcast.Server.Transport.Compression;

/// <summary>
/// WebSocket compression (permessage-deflate, RFC 7692): <c>Broadcast:Compression:*</c>. Off by default:
/// compressing costs the server CPU per publication and most messages of the original protocol are short.
/// </summary>
public sealed class CompressionOptions
{
    public const string Section = "Broadcast:Compression";

    /// <summary>Accept a client's permessage-deflate offer (always without context takeover, both ways).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Publications whose frame is shorter than this are sent uncompressed even to a compressing client
    /// (RFC 7692 lets a sender choose per message): deflating a few dozen bytes costs more than it saves.
    /// </summary>
    [Range(0, 16 * 1024 * 1024, ErrorMessage = "Broadcast:Compression:MinBytes must be between {1} and {2}.")]
    public int MinBytes { get; set; } = 256;

    /// <summary>How hard deflate works on each publication (once per publication and encoding, whatever the number of recipients).</summary>
    [EnumDataType(typeof(CompressionLevel), ErrorMessage = "Broadcast:Compression:Level must be one of Optimal, Fastest, NoCompression, SmallestSize.")]
    public CompressionLevel Level { get; set; } = CompressionLevel.Fastest;
}
