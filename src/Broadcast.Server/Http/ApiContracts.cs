using System.Text.Json;
using System.Text.Json.Serialization;

namespace Broadcast.Server.Http;

/// <summary>Body of <c>POST /api/channels/{channel}/publish</c>: exactly one of <c>message</c>, <c>data</c> (any JSON value) and <c>bytes</c> (base64).</summary>
public sealed record PublishRequest(
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("id")] string? Id)
{
    /// <summary>Any JSON value, published as the bytes it has in the request body; absent when its kind is <see cref="JsonValueKind.Undefined"/>.</summary>
    [JsonPropertyName("data")]
    public JsonElement Data { get; init; }

    /// <summary>Binary content as standard base64.</summary>
    [JsonPropertyName("bytes")]
    public string? Bytes { get; init; }
}

/// <summary>Where an HTTP publish landed.</summary>
public sealed record PublishResponse(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("epoch")] string Epoch,
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("duplicate")] bool Duplicate);

public sealed record ChannelSummary(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("subscribers")] int Subscribers);

public sealed record ChannelListResponse(
    [property: JsonPropertyName("channels")] IReadOnlyList<ChannelSummary> Channels);

public sealed record PresenceMemberResponse(
    [property: JsonPropertyName("session")] string Session,
    [property: JsonPropertyName("name")] string? Name);

public sealed record PresenceResponse(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("members")] IReadOnlyList<PresenceMemberResponse> Members);

public sealed record HistoryPublicationResponse(
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("message")] string? Message)
{
    /// <summary>The publication's JSON value, when it was published with <c>data</c> (then there is no <c>message</c>).</summary>
    [JsonPropertyName("data")]
    public JsonElement? Data { get; init; }

    /// <summary>The publication's bytes as base64, when it was published with <c>bytes</c>.</summary>
    [JsonPropertyName("bytes")]
    public string? Bytes { get; init; }
}

/// <summary>A history page (documents the answer, which is written as the WebSocket reply's body).</summary>
public sealed record HistoryResponse(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("epoch")] string Epoch,
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("truncated")] bool Truncated,
    [property: JsonPropertyName("more")] bool More,
    [property: JsonPropertyName("publications")] IReadOnlyList<HistoryPublicationResponse> Publications);

public sealed record ApiError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("code")] string Code);
