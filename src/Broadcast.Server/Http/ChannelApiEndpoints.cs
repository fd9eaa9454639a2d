using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol;
using Broadcast.Server.Protocol.V2;
using Broadcast.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary>The HTTP API under <c>/api</c>: server-side publishing, channels, presence and history.</summary>
internal static class ChannelApiEndpoints
{
    /// <summary>The code of a 413 answer: an HTTP publish whose body is larger than a message may be.</summary>
    public const string BodyTooLargeCode = "body_too_large";

    private const int MaxHistoryLimit = 1000;
    private const int DefaultHistoryLimit = 100;
    private const long DefaultSince = 0;

    public static IEndpointRouteBuilder MapChannelApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/channels")
            .RequireCors(CrossOriginPolicies.Api)
            .AddEndpointFilter(KeyFilter.ForApi(app.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value))
            .WithTags("Channels API")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapPost("/{channel}/publish", (string channel, HttpRequest request, ChannelService channels, ShutdownDrain drain, IOptions<ConnectionOptions> options, IOptions<JsonOptions> json, CancellationToken cancellationToken) =>
                UserChannels.Is(channel) ? Task.FromResult<Results<Ok<PublishResponse>, BadRequest<ApiError>, JsonHttpResult<ApiError>>>(TypedResults.BadRequest(UserChannelPublish)) : PublishAsync(channel, request, channels, drain, options, json, cancellationToken))
            .Accepts<PublishRequest>("application/json")
            .WithSummary("Publish to a channel from a server")
            .WithDescription("Publishes `message` (a string), `data` (any JSON value, delivered byte for byte) or `bytes` (base64) to every subscriber of the channel (origin `http`). With `id`, a retry within the idempotency window returns the first offset with `duplicate: true`. Requires the API key (`X-API-Key`).");
        api.MapGet("/", ListChannels)
            .WithSummary("Channels with subscribers on this server");
        api.MapGet("/{channel}/presence", PresenceAsync)
            .WithSummary("Who is subscribed to a channel");
        api.MapGet("/{channel}/history", HistoryAsync)
            .WithSummary("A channel's retained publications after an offset")
            .WithDescription("Up to `limit` publications after `since`, in pages of at most `Broadcast:HistoryPageBytes`: `more: true` means the page stopped early; ask again with `since` = its last offset.")
            .Produces<HistoryResponse>(StatusCodes.Status200OK, "application/json");

        // A user's channel (@user:{user}) is reached through the same publish: every connection of that user, on every node.
        var users = app.MapGroup("/api/users")
            .AddEndpointFilter(KeyFilter.ForApi(app.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value))
            .WithTags("Channels API")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        users.MapUserActions();
        users.MapPost("/{user}/publish", (string user, HttpRequest request, ChannelService channels, ShutdownDrain drain, IOptions<ConnectionOptions> options, IOptions<JsonOptions> json, CancellationToken cancellationToken) =>
                PublishAsync(UserChannels.For(user), request, channels, drain, options, json, cancellationToken))
            .Accepts<PublishRequest>("application/json")
            .WithSummary("Publish to every connection of one user")
            .WithDescription("Publishes `message` to the user channel `@user:{user}`: every connection of that user subscribed to it (with `Broadcast:Auth:UserChannels=true`, every v2 connection of the user is, from `hello` on), on every node. The answer is the channel publish's. Requires the API key (`X-API-Key`).");
        return app;
    }

    /// <remarks>
    /// The body is read here, after the API key was checked, and never past <c>Broadcast:MaxMessageBytes</c>:
    /// a WebSocket message may not be larger, so neither may a publish over HTTP (413 otherwise).
    /// </remarks>
    private static async Task<Results<Ok<PublishResponse>, BadRequest<ApiError>, JsonHttpResult<ApiError>>> PublishAsync(
        string channel,
        HttpRequest request,
        ChannelService channels,
        ShutdownDrain drain,
        IOptions<ConnectionOptions> options,
        IOptions<JsonOptions> json,
        CancellationToken cancellationToken)
    {
        if (drain.IsDraining)
        {
            return ShuttingDown();
        }

        if (!ChannelName.IsValid(channel))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.ChannelInvalid));
        }

        // As before the body was read by hand: a body, if there is one, must be JSON.
        var canHaveBody = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
        if (canHaveBody && request.ContentLength is not 0 && !request.HasJsonContentType())
        {
            var (code, text) = JsonErrorBodies.Describe(StatusCodes.Status415UnsupportedMediaType);
            return TypedResults.Json(new ApiError(text, code), statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var maxBytes = options.Value.MaxMessageBytes;
        if (request.ContentLength > maxBytes)
        {
            return BodyTooLarge(maxBytes);
        }

        PublishRequest? body;
        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            var length = await ReadAtMostAsync(request.Body, buffer.AsMemory(0, maxBytes + 1), cancellationToken);
            if (length > maxBytes)
            {
                return BodyTooLarge(maxBytes);
            }

            body = length == 0 ? null : JsonSerializer.Deserialize<PublishRequest>(buffer.AsSpan(0, length), json.Value.SerializerOptions);
        }
        catch (JsonException)
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.InvalidJson));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (ReadPayload(body, out var payload) is { } invalid)
        {
            return TypedResults.BadRequest(Error(invalid));
        }

        if (body!.Id is { Length: 0 or > ClientRequestParser.MaxIdLength })
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.IdInvalid));
        }

        // From here to the fan-out the drain waits for this publish: a 200 means every client still here gets it.
        if (!drain.TryHoldForPublish())
        {
            return ShuttingDown();
        }

        try
        {
            var result = await channels.PublishAsync(channel, SessionId.Http, body.Id, payload, cancellationToken);
            return TypedResults.Ok(new PublishResponse(channel, result.Position.Epoch, result.Position.Offset, result.Duplicate));
        }
        catch (EngineUnavailableException ex)
        {
            return TypedResults.Json(Error(PublishGate.AnswerFor(ex)), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        finally
        {
            drain.Release();
        }
    }

    /// <summary>The body's one payload, as the WebSocket protocol's publish reads it (same codes); null when it has one.</summary>
    private static ProtocolError? ReadPayload(PublishRequest? body, out PublicationPayload payload)
    {
        payload = default;
        var hasData = body is { Data.ValueKind: not JsonValueKind.Undefined };
        var given = (body?.Message is null ? 0 : 1) + (hasData ? 1 : 0) + (body?.Bytes is null ? 0 : 1);
        if (given > 1)
        {
            return ProtocolErrors.PayloadConflict;
        }

        if (hasData)
        {
            // The value's bytes as they are in the body: published byte for byte, never re-serialized.
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(body!.Data);
            if (!ClientRequestParser.IsDataWithinDepth(raw))
            {
                return ProtocolErrors.DataTooDeep;
            }

            payload = PublicationPayload.Data(raw.ToArray());
            return null;
        }

        if (body?.Bytes is { } base64)
        {
            var buffer = new byte[(base64.Length / 4) * 3];
            if (!Convert.TryFromBase64String(base64, buffer, out var written))
            {
                return ProtocolErrors.BytesInvalid;
            }

            payload = PublicationPayload.Binary(buffer[..written]);
            return null;
        }

        if (body?.Message is not { Length: > 0 } message)
        {
            return body?.Message is null ? ProtocolErrors.MessageMissing : ProtocolErrors.MessageEmpty;
        }

        payload = PublicationPayload.Message(EscapeForJsonString(message));
        return null;
    }

    /// <summary>
    /// A user channel is published to through <c>/api/users/{user}/publish</c> only: one way in, where the user is
    /// named, and the internal channel of user actions (<c>@user:</c>) is out of reach.
    /// </summary>
    private static readonly ApiError UserChannelPublish = new(
        "@user: channels are published to with POST /api/users/{user}/publish, not here.", ProtocolErrors.ChannelInvalid.Code);

    /// <summary>The internal channel of user actions is no channel of the API: it reads as an invalid name.</summary>
    private static bool IsReachable(string channel) => ChannelName.IsValid(channel) && channel != UserChannels.Commands;

    /// <summary>503 <c>shutting_down</c>: nothing was published; publish to another node (or again once this one is back).</summary>
    private static JsonHttpResult<ApiError> ShuttingDown() =>
        TypedResults.Json(Error(ProtocolErrors.ShuttingDown), statusCode: StatusCodes.Status503ServiceUnavailable);

    private static Ok<ChannelListResponse> ListChannels(ChannelHub hub) =>
        TypedResults.Ok(new ChannelListResponse([.. hub.ActiveChannels().Select(c => new ChannelSummary(c.Channel, c.Subscribers))]));

    private static async Task<Results<Ok<PresenceResponse>, BadRequest<ApiError>>> PresenceAsync(string channel, ChannelService channels, CancellationToken cancellationToken)
    {
        if (!IsReachable(channel))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.ChannelInvalid));
        }

        var members = await channels.GetPresenceAsync(channel, cancellationToken);
        return TypedResults.Ok(new PresenceResponse(channel, members.Count, [.. members.Select(m => new PresenceMemberResponse(m.Session, m.Name))]));
    }

    /// <remarks>
    /// <paramref name="since"/> and <paramref name="limit"/> are read here rather than bound as numbers, so a
    /// value out of range (or not a number at all) gets the same coded 400 as the WebSocket protocol's error.
    /// </remarks>
    private static async Task<Results<FileContentHttpResult, BadRequest<ApiError>>> HistoryAsync(
        string channel, ChannelService channels, IOptions<HistoryPageOptions> options, CancellationToken cancellationToken, string? since = null, string? limit = null)
    {
        if (!IsReachable(channel))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.ChannelInvalid));
        }

        if (!TryReadNumber(since, DefaultSince, 0, StreamPosition.MaxOffset, out var sinceOffset))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.SinceInvalid));
        }

        if (!TryReadNumber(limit, DefaultHistoryLimit, 1, MaxHistoryLimit, out var count))
        {
            return TypedResults.BadRequest(Error(ProtocolErrors.LimitInvalid));
        }

        // The WebSocket reply's body, byte for byte (HistoryResponse describes it), so a page is bounded the same way.
        var page = await HistoryPage.ReadAsync(channels, channel, sinceOffset, (int)count, options.Value.HistoryPageBytes, cancellationToken);
        return TypedResults.Bytes(ServerFrames.HistoryAnswer(channel, page), "application/json");
    }

    private static ApiError Error(ProtocolError error) => new(error.Text, error.Code);

    private static JsonHttpResult<ApiError> BodyTooLarge(int maxBytes) => TypedResults.Json(
        new ApiError($"The request body exceeds {maxBytes} bytes (Broadcast:MaxMessageBytes), the limit of a message.", BodyTooLargeCode),
        statusCode: StatusCodes.Status413PayloadTooLarge);

    /// <summary>Reads until <paramref name="buffer"/> is full or the body ends; a full buffer means the body was too large.</summary>
    private static async Task<int> ReadAtMostAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await body.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>An optional query value: absent gives the default; otherwise a decimal integer within the range.</summary>
    private static bool TryReadNumber(string? text, long fallback, long min, long max, out long value)
    {
        if (text is null)
        {
            value = fallback;
            return true;
        }

        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    /// <summary>Publications store the message as escaped JSON string content; produce that from text.</summary>
    private static byte[] EscapeForJsonString(string text)
    {
        var quoted = JsonSerializer.SerializeToUtf8Bytes(text, EscapeOptions);
        return quoted[1..^1];
    }

    private static readonly JsonSerializerOptions EscapeOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
