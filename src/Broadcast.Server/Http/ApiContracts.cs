using System.Text.Json.Serialization;

namespace Broadcast.Server.Http;

/// <summary>Body of <c>POST /api/channels/{channel}/publish</c>.</summary>
public sealed record PublishRequest(
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("id")] string? Id);

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
    [property: JsonPropertyName("message")] string Message);

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
