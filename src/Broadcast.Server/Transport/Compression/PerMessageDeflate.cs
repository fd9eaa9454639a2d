using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.Compression;

/// <summary>
/// permessage-deflate as this server offers it (<c>Broadcast:Compression</c>), shared by both WebSocket
/// stacks: whether an upgrade's offer is accepted, and the one <see cref="FrameCompression"/> every
/// compressing connection uses (so a publication is compressed once, whoever receives it).
/// </summary>
internal sealed class PerMessageDeflate(IOptions<CompressionOptions> options)
{
    private readonly CompressionOptions _options = options.Value;

    public FrameCompression Compression { get; } = new(options.Value.MinBytes, options.Value.Level);

    /// <summary>The response's <c>Sec-WebSocket-Extensions</c> value for these offers, or null: no compression on this connection.</summary>
    public string? Negotiate(IEnumerable<string?> offers) => _options.Enabled ? DeflateNegotiation.Negotiate(offers) : null;
}
