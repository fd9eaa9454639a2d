using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>
/// POSTs one event to the backend as JSON and reads its answer, within the proxy's timeout (retries
/// included), with the client's forwarded headers. Whatever goes wrong (connection refused, a timeout, an HTTP
/// error, an answer too large or not one of the documented shapes) is a failed answer, never an exception.
/// Calls that could not reach the backend are tried again where the proxy allows it, with exponential backoff
/// and jitter (Polly).
/// </summary>
internal sealed partial class ProxyClient(IHttpClientFactory http, ILogger<ProxyClient> logger)
{
    public const string HttpClientName = "backend-proxy";

    /// <summary>Larger answers are refused (invalid_answer): a decision is small, an RPC answer goes to one client.</summary>
    public const int MaxAnswerBytes = 1024 * 1024;

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly ConcurrentDictionary<ProxyKind, ResiliencePipeline<HttpResponseMessage>> _pipelines = new();

    public async ValueTask<ProxyAnswer> CallAsync(ProxyEndpointOptions endpoint, IReadOnlyDictionary<string, string> headers, byte[] body, CancellationToken cancellationToken)
    {
        var url = new Uri(endpoint.Url!, UriKind.Absolute);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(endpoint.Timeout);
        var pipeline = _pipelines.GetOrAdd(endpoint.Kind, _ => Pipeline(endpoint.Retries));
        var client = http.CreateClient(HttpClientName);
        try
        {
            using var response = await pipeline.ExecuteAsync(
                async token =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = Json;
                    request.Headers.TryAddWithoutValidation("X-Broadcast-Proxy", endpoint.Kind.ToString().ToLowerInvariant());
                    foreach (var (name, value) in headers)
                    {
                        request.Headers.TryAddWithoutValidation(name, value);
                    }

                    return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                },
                deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogFailed(logger, endpoint.Kind, url, $"HTTP {(int)response.StatusCode}");
                return ProxyAnswer.Failed("error_status");
            }

            var answer = await ReadAtMostAsync(response.Content, deadline.Token);
            if (answer is null)
            {
                LogFailed(logger, endpoint.Kind, url, $"an answer of more than {MaxAnswerBytes} bytes");
                return ProxyAnswer.Failed(ProxyAnswer.InvalidAnswer);
            }

            var parsed = ProxyAnswer.Parse(answer);
            if (parsed.Kind == ProxyAnswerKind.Failed)
            {
                LogFailed(logger, endpoint.Kind, url, "an answer that is not {\"result\"}, {\"error\"} or {\"disconnect\"}");
            }

            return parsed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, endpoint.Kind, url, $"no answer within {endpoint.Timeout}");
            return ProxyAnswer.Failed("timeout");
        }
        catch (HttpRequestException ex)
        {
            LogFailed(logger, endpoint.Kind, url, ex.Message);
            return ProxyAnswer.Failed("unreachable");
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> Pipeline(int retries)
    {
        if (retries == 0)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                // Only what says the backend was not reached (or is restarting): a refusal or a 500 is its answer.
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .HandleResult(r => r.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout),
                OnRetry = static args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The whole body, or null when it is longer than <see cref="MaxAnswerBytes"/>.</summary>
    private static async Task<byte[]?> ReadAtMostAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxAnswerBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var collected = new MemoryStream();
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (collected.Length + read > MaxAnswerBytes)
                {
                    return null;
                }

                collected.Write(buffer, 0, read);
            }

            return collected.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "The {Kind} proxy could not ask the backend at {Url}: {Reason}")]
    private static partial void LogFailed(ILogger logger, ProxyKind kind, Uri url, string reason);
}
