using System.Net;
using System.Text.Json;

namespace Broadcast.Server.Tests.Backend;

/// <summary>The answer to a WebSocket upgrade request that was refused: its status, <c>Retry-After</c> and JSON body.</summary>
internal sealed record UpgradeAnswer(HttpStatusCode Status, string? RetryAfter, JsonElement Body)
{
    public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var code) ? code.GetString() : null;

    /// <summary>Sends an upgrade request (with <paramref name="cookie"/>) as a plain HTTP request, so a refusal's body can be read.</summary>
    public static async Task<UpgradeAnswer> RequestAsync(Uri webSocketUri, string? cookie = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var uri = new UriBuilder(webSocketUri) { Scheme = "http" }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new UpgradeAnswer(response.StatusCode, response.Headers.RetryAfter?.ToString(), body);
    }
}
