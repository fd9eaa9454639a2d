using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol;
using Broadcast.Server.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Api;

/// <summary>The HTTP API under <c>/api</c>: server-side publishing, channels, presence and history.</summary>
internal static class ChannelApiEndpoints
{
    private const int MaxHistoryLimit = 1000;

    public static IEndpointRouteBuilder MapChannelApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/channels")
            .AddEndpointFilter<ApiKeyFilter>()
            .WithTags("Channels API")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapPost("/{channel}/publish", PublishAsync)
            .WithSummary("Publish to a channel from a server")
            .WithDescription("Publishes `message` to every subscriber of the channel (origin `http`). With `id`, a retry within the idempotency window returns the first offset with `duplicate: true`. Requires the API key (`X-API-Key`).");
        api.MapGet("/", ListChannels)
            .WithSummary("Channels with subscribers on this server");
        api.MapGet("/{channel}/presence", PresenceAsync)
            .WithSummary("Who is subscribed to a channel");
        api.MapGet("/{channel}/history", HistoryAsync)
            .WithSummary("A channel's retained publications after an offset")
            .WithDescription("Up to `limit` publications after `since`, in pages of at most `Broadcast:HistoryPageBytes`: `more: true` means the page stopped early; ask again with `since` = its last offset.")
            .Produces<HistoryResponse>(StatusCodes.Status200OK, "application/json");
        return app;
    }

    private static async Task<Results<Ok<PublishResponse>, BadRequest<ApiError>, JsonHttpResult<ApiError>>> PublishAsync(
        string channel, PublishRequest? body, ChannelService channels, CancellationToken cancellationToken)
    {
        if (!ChannelName.IsValid(channel))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.ChannelInvalid));
        }

        if (body?.Message is not { Length: > 0 } message)
        {
            return TypedResults.BadRequest(Error(body?.Message is null ? ProtocolErrors.MessageMissing : ProtocolErrors.MessageEmpty));
        }

        if (body.Id is { Length: 0 or > ClientRequestParser.MaxIdLength })
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.IdInvalid));
        }

        try
        {
            var result = await channels.PublishAsync(channel, SessionId.Http, body.Id, EscapeForJsonString(message), cancellationToken);
            return TypedResults.Ok(new PublishResponse(channel, result.Position.Epoch, result.Position.Offset, result.Duplicate));
        }
        catch (EngineUnavailableException)
        {
            return TypedResults.Json(Error(ProtocolErrors.EngineUnavailable), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static Ok<ChannelListResponse> ListChannels(ChannelHub hub) =>
        TypedResults.Ok(new ChannelListResponse([.. hub.ActiveChannels().Select(c => new ChannelSummary(c.Channel, c.Subscribers))]));

    private static async Task<Results<Ok<PresenceResponse>, BadRequest<ApiError>>> PresenceAsync(string channel, ChannelService channels, CancellationToken cancellationToken)
    {
        if (!ChannelName.IsValid(channel))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.ChannelInvalid));
        }

        var members = await channels.GetPresenceAsync(channel, cancellationToken);
        return TypedResults.Ok(new PresenceResponse(channel, members.Count, [.. members.Select(m => new PresenceMemberResponse(m.Session, m.Name))]));
    }

    private static async Task<Results<FileContentHttpResult, BadRequest<ApiError>>> HistoryAsync(
        string channel, ChannelService channels, IOptions<BroadcastOptions> options, CancellationToken cancellationToken, long since = 0, int limit = 100)
    {
        if (!ChannelName.IsValid(channel))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.ChannelInvalid));
        }

        if (since < 0)
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.SinceInvalid));
        }

        if (limit is < 1 or > MaxHistoryLimit)
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.LimitInvalid));
        }

        // The WebSocket reply's body, byte for byte (HistoryResponse describes it), so a page is bounded the same way.
        var page = await HistoryPage.ReadAsync(channels, channel, since, limit, options.Value.HistoryPageBytes, cancellationToken);
        return TypedResults.Bytes(ServerFrames.HistoryAnswer(channel, page), "application/json");
    }

    private static ApiError Error(ProtocolError error) => new(error.Text, error.Code);

    /// <summary>Publications store the message as escaped JSON string content; produce that from text.</summary>
    private static byte[] EscapeForJsonString(string text)
    {
        var quoted = JsonSerializer.SerializeToUtf8Bytes(text, EscapeOptions);
        return quoted[1..^1];
    }

    private static readonly JsonSerializerOptions EscapeOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
