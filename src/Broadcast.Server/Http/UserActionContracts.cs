using System.Text.Json.Serialization;

namespace Broadcast.Server.Http;

/// <summary>Body of <c>POST /api/users/{user}/disconnect</c>, optional: the close code (4000-4999) and reason.</summary>
public sealed record DisconnectUserRequest(
    [property: JsonPropertyName("code")] int? Code,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>Body of <c>POST /api/users/{user}/unsubscribe</c>.</summary>
public sealed record UnsubscribeUserRequest(
    [property: JsonPropertyName("channel")] string? Channel);

/// <summary>An action on a user was sent to every node (each carries it out on its connections of the user).</summary>
public sealed record UserActionResponse(
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("action")] string Action);
