using System.Net.Http.Headers;
using Broadcast.Server.Channels;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// POSTs one batch (<c>{"events":[…]}</c>) to the receiver, signed, within the timeout. True only for a 2xx
/// answer; anything else (another status, a refused connection, a timeout) is a failed attempt, never an exception.
/// </summary>
internal sealed partial class WebhookSender(IHttpClientFactory http, NodeIdentity node, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookSender> logger)
{
    public const string HttpClientName = "webhooks";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly WebhookOptions _options = options.Value;

    public static byte[] Body(IReadOnlyList<byte[]> events)
    {
        using var body = new MemoryStream();
        body.Write("{\"events\":["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                body.WriteByte((byte)',');
            }

            body.Write(events[i]);
        }

        body.Write("]}"u8);
        return body.ToArray();
    }

    public async Task<bool> SendAsync(byte[] body, int events, CancellationToken cancellationToken)
    {
        var url = new Uri(_options.Url!, UriKind.Absolute);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Create(_options.Secret!, clock.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.TryAddWithoutValidation("X-Broadcast-Node", node.Id);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            LogFailed(logger, events, url, $"HTTP {(int)response.StatusCode}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, events, url, $"no answer within {_options.Timeout}");
        }
        catch (HttpRequestException ex)
        {
            LogFailed(logger, events, url, ex.Message);
        }

        return false;
    }

    [LoggerMessage(EventId = 8011, Level = LogLevel.Warning, Message = "Could not deliver {Count} webhook events to {Url} (tried again): {Reason}")]
    private static partial void LogFailed(ILogger logger, int count, Uri url, string reason);
}
