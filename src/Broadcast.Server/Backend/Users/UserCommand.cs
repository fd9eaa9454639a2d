using System.Text.Json.Serialization;

namespace Broadcast.Server.Backend.Users;

/// <summary>
/// An action on every connection of one user, as it travels to every node on <see cref="Security.UserChannels.Commands"/>:
/// <c>{"action": "disconnect", "user", "code", "reason"}</c> or <c>{"action": "unsubscribe", "user", "channel"}</c>.
/// </summary>
internal sealed record UserCommand(
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("code")] int? Code = null,
    [property: JsonPropertyName("reason")] string? Reason = null,
    [property: JsonPropertyName("channel")] string? Channel = null)
{
    public const string Disconnect = "disconnect";
    public const string Unsubscribe = "unsubscribe";
}
