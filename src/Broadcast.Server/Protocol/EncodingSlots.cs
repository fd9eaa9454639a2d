namespace Broadcast.Server.Protocol;

/// <summary>
/// Which slot of a publication's frame cache each encoding owns (at most <see cref="Engines.Publication.MaxEncodings"/>).
/// A new encoding (a binary one, say) takes the next free number here.
/// </summary>
public static class EncodingSlots
{
    public const int Legacy = 0;

    public const int V2Json = 1;

    public const int V2MessagePack = 2;
}
