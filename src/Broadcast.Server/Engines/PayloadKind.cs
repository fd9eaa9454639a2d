namespace Broadcast.Server.Engines;

/// <summary>What a publication carries. The numbers are stored by engines (Redis): never renumber one.</summary>
public enum PayloadKind : byte
{
    /// <summary>A string, kept as escaped JSON string content without the quotes (today's <c>message</c>).</summary>
    Message = 0,

    /// <summary>Any JSON value, kept as the raw UTF-8 JSON bytes it arrived as, validated once (<c>data</c>).</summary>
    Data = 1,

    /// <summary>Raw bytes (<c>bytes</c>): binary on a MessagePack connection, base64 in JSON.</summary>
    Bytes = 2,
}
