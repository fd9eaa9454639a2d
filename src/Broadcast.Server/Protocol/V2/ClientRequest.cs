using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol.V2;

/// <summary>One parsed frame of the extended protocol. Which fields matter depends on <see cref="Type"/>.</summary>
public sealed class ClientRequest
{
    public const string Hello = "hello";
    public const string Subscribe = "subscribe";
    public const string Unsubscribe = "unsubscribe";
    public const string Publish = "publish";
    public const string History = "history";
    public const string Presence = "presence";
    public const string Auth = "auth";
    public const string Rpc = "rpc";

    public string? Type { get; init; }

    public string? Id { get; init; }

    public string? Channel { get; init; }

    /// <summary>What a publish carries: its one valid <c>message</c>, <c>data</c> or <c>bytes</c>, when the frame had one.</summary>
    public PublicationPayload? Payload { get; init; }

    /// <summary>Why the frame has no usable payload (none, several, or one that is not valid); null when <see cref="Payload"/> is set.</summary>
    public ProtocolError? PayloadError { get; init; }

    public string? Session { get; init; }

    public string? Name { get; init; }

    /// <summary>The fresh token of an <c>auth</c> request; checked by the handler, never logged.</summary>
    public string? Token { get; init; }

    /// <summary><c>since</c> as a stream position (subscribe).</summary>
    public StreamPosition? SincePosition { get; init; }

    /// <summary><c>since</c> as a bare offset (history).</summary>
    public long? SinceOffset { get; init; }

    public bool SinceGiven { get; init; }

    public int? Limit { get; init; }

    public bool LimitGiven { get; init; }

    public bool WantsPresence { get; init; }

    /// <summary>The method of an <c>rpc</c> request.</summary>
    public string? Method { get; init; }

    /// <summary>The <c>data</c> of an <c>rpc</c> request as raw JSON, when the frame had one.</summary>
    public byte[]? Data { get; init; }

    /// <summary>The first problem found with the frame's fields, if any.</summary>
    public ProtocolError? Error { get; init; }
}
