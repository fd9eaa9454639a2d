using System.Text.Json;
using Broadcast.Testing;
using Microsoft.AspNetCore.Http;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// Answers of a test backend, chosen by a word the test puts in each request (a channel segment, a method, a
/// header): every outcome a proxy must handle, from a real HTTP server.
/// </summary>
internal static class ScriptedBackend
{
    /// <summary>The error code the backend refuses with.</summary>
    public const string RefusalCode = "not_allowed_here";

    public const string RefusalText = "No entry for you";

    public const int KickCode = 4403;

    public const string KickReason = "kicked by the backend";

    /// <summary>Answers the request as <paramref name="case"/> says; anything not listed is allowed with <paramref name="result"/>.</summary>
    public static async Task AnswerAsync(HttpContext context, string @case, string result = "{}")
    {
        switch (@case)
        {
            case "refuse":
                await TestBackend.WriteJsonAsync(context, JsonSerializer.Serialize(new { error = new { code = RefusalCode, message = RefusalText } }));
                break;
            case "kick":
                await TestBackend.WriteJsonAsync(context, JsonSerializer.Serialize(new { disconnect = new { code = KickCode, reason = KickReason } }));
                break;
            case "garbage":
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<html>502 Bad Gateway</html>");
                break;
            case "status":
                await TestBackend.WriteJsonAsync(context, "{\"result\":{}}", StatusCodes.Status500InternalServerError);
                break;
            case "slow":
                // Far past any proxy timeout the tests set; the server gives up first and drops the request.
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }

                break;
            case "wrongshape":
                await TestBackend.WriteJsonAsync(context, "{\"result\":{\"user\":42,\"data\":7,\"expireAt\":\"soon\"}}");
                break;
            default:
                await TestBackend.WriteJsonAsync(context, "{\"result\":" + result + "}");
                break;
        }
    }

    /// <summary>The request body's field, or null.</summary>
    public static string? Field(BackendRequest request, string name) =>
        JsonDocument.Parse(request.Body).RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static JsonElement Body(BackendRequest request) => JsonDocument.Parse(request.Body).RootElement.Clone();

    /// <summary>The case word of a channel named <c>gate:{case}:{n}</c>.</summary>
    public static string CaseOfChannel(BackendRequest request) => Field(request, "channel")?.Split(':') is [_, var word, ..] ? word : "ok";
}
