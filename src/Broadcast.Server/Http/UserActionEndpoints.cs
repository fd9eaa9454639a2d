using System.Text.Json;
using Broadcast.Server.Backend.Users;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary>
/// Disconnecting a user and unsubscribing a user from a channel, on every node: under <c>/api/users</c> with the
/// API key (the application's backend) and under <c>/api/admin/users</c> with the admin key (the admin page).
/// </summary>
internal static class UserActionEndpoints
{
    public const string UserInvalidCode = "user_invalid";
    public const string CloseCodeInvalidCode = "code_invalid";
    public const string ReasonInvalidCode = "reason_invalid";

    /// <summary>A user id of a token or of the connect proxy has 1 to 256 characters.</summary>
    private const int MaxUserLength = 256;

    /// <summary>Neither body has any use for more.</summary>
    private const int MaxBodyBytes = 4096;

    public static RouteGroupBuilder MapUserActions(this RouteGroupBuilder users)
    {
        users.MapPost("/{user}/disconnect", DisconnectAsync)
            .Accepts<DisconnectUserRequest>("application/json")
            .WithSummary("Disconnect every connection of one user, on every node")
            .WithDescription("Closes every connection of `user` (v2 and the original protocol) with the close `code` (4000-4999, default 4001) and `reason` (at most 123 bytes, default `disconnected by the application`); the body is optional. The answer means every node was sent the action; each closes its connections of the user as it receives it.");
        users.MapPost("/{user}/unsubscribe", UnsubscribeAsync)
            .Accepts<UnsubscribeUserRequest>("application/json")
            .WithSummary("Unsubscribe every connection of one user from a channel, on every node")
            .WithDescription("Ends the subscription to `channel` of every v2 connection of `user`; each gets `{\"type\": \"unsubscribed\", \"channel\", \"code\": \"unsubscribed_by_server\", \"error\"}`. Connections of the original protocol are left as they are. The answer means every node was sent the action.");
        return users;
    }

    private static async Task<IResult> DisconnectAsync(string user, HttpRequest request, UserActions actions, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (!IsValidUser(user))
        {
            return BadRequest(UserInvalidCode, $"The user must be 1 to {MaxUserLength} characters.");
        }

        var (body, refused) = await ReadAsync<DisconnectUserRequest>(request, json.Value.SerializerOptions, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var code = body?.Code ?? UserDisconnect.DefaultCode;
        if (!UserDisconnect.IsValidCode(code))
        {
            return BadRequest(CloseCodeInvalidCode, "Field 'code' must be a close code from 4000 to 4999.");
        }

        var reason = body?.Reason ?? UserDisconnect.DefaultReason;
        if (!UserDisconnect.IsValidReason(reason))
        {
            return BadRequest(ReasonInvalidCode, $"Field 'reason' must be at most {UserDisconnect.MaxReasonBytes} bytes of UTF-8.");
        }

        return await SendAsync(user, UserCommand.Disconnect, () => actions.DisconnectAsync(user, code, reason, cancellationToken));
    }

    private static async Task<IResult> UnsubscribeAsync(string user, HttpRequest request, UserActions actions, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (!IsValidUser(user))
        {
            return BadRequest(UserInvalidCode, $"The user must be 1 to {MaxUserLength} characters.");
        }

        var (body, refused) = await ReadAsync<UnsubscribeUserRequest>(request, json.Value.SerializerOptions, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        if (body?.Channel is not { } channel || !ChannelName.IsValid(channel))
        {
            return BadRequest(ProtocolErrors.ChannelInvalid.Code, ProtocolErrors.ChannelInvalid.Text);
        }

        return await SendAsync(user, UserCommand.Unsubscribe, () => actions.UnsubscribeAsync(user, channel, cancellationToken));
    }

    private static async Task<IResult> SendAsync(string user, string action, Func<ValueTask> send)
    {
        try
        {
            await send();
            return TypedResults.Ok(new UserActionResponse(user, action));
        }
        catch (EngineUnavailableException ex)
        {
            // publish_unknown: the engine did not answer, so the nodes may or may not have been sent it (sending it again is harmless).
            var error = PublishGate.AnswerFor(ex);
            return TypedResults.Json(new ApiError(error.Text, error.Code), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static bool IsValidUser(string user) => user.Length is > 0 and <= MaxUserLength;

    /// <summary>An optional JSON body of at most <see cref="MaxBodyBytes"/>; the refusal to answer instead, if it is not one.</summary>
    private static async Task<(T? Body, IResult? Refused)> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        // Never more than the limit is read, whatever the body claims (or does not claim) its length is.
        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length == 0)
        {
            return (null, null);
        }

        if (length > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        if (!request.HasJsonContentType())
        {
            var (code, text) = JsonErrorBodies.Describe(StatusCodes.Status415UnsupportedMediaType);
            return (null, TypedResults.Json(new ApiError(text, code), statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        try
        {
            return (JsonSerializer.Deserialize<T>(buffer.AsSpan(0, length), options), null);
        }
        catch (JsonException)
        {
            return (null, BadRequest(ProtocolErrors.InvalidJson.Code, ProtocolErrors.InvalidJson.Text));
        }
    }

    private static IResult TooLarge() => TypedResults.Json(
        new ApiError($"The request body exceeds {MaxBodyBytes} bytes.", ChannelApiEndpoints.BodyTooLargeCode), statusCode: StatusCodes.Status413PayloadTooLarge);

    private static IResult BadRequest(string code, string text) => TypedResults.BadRequest(new ApiError(text, code));
}
