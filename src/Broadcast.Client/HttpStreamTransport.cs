using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Broadcast.Client;

/// <summary>
/// <see cref="IClientTransport"/> over the server's HTTP streaming: one long <c>GET /stream</c> read line by
/// line (its first line carries the stream's token), and one <c>POST /stream/send</c> per frame sent, with the
/// token; the client sends one frame at a time, so the server handles them in order. The server's
/// <c>close</c> line, or the end of the response, ends the connection.
/// </summary>
internal sealed class HttpStreamTransport : IClientTransport
{
    public const string TokenHeader = "Broadcast-Stream";

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _abort = new();
    private HttpResponseMessage? _response;
    private StreamReader? _reader;
    private Uri? _send;
    private string? _token;

    /// <summary>The WebSocket URI's HTTP twin: <c>ws://host/ws/events?q</c> → <c>http://host/{path}?q</c>.</summary>
    public static Uri ToHttp(Uri uri, string path)
    {
        var builder = new UriBuilder(uri)
        {
            Scheme = uri.Scheme switch { "wss" => "https", "ws" => "http", _ => uri.Scheme },
            Path = path,
        };
        if (builder.Uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        return builder.Uri;
    }

    public async Task ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, ToHttp(uri, "/stream"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        _response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        if (_response.StatusCode != HttpStatusCode.OK)
        {
            // Refused as an upgrade would be (401, 403, 429, 503): the body says why.
            var body = await _response.Content.ReadAsStringAsync(linked.Token);
            throw new HttpRequestException($"The server refused the stream ({(int)_response.StatusCode}): {body}", null, _response.StatusCode);
        }

        _reader = new StreamReader(await _response.Content.ReadAsStreamAsync(linked.Token));
        var first = await _reader.ReadLineAsync(linked.Token);
        using var frame = first is null ? null : JsonDocument.Parse(first);
        if (frame is null || !frame.RootElement.TryGetProperty("type", out var type) || type.GetString() != "stream"
            || !frame.RootElement.TryGetProperty("token", out var token) || token.GetString() is not { } value)
        {
            throw new IOException($"{uri} did not answer with a broadcast stream.");
        }

        _token = value;
        _send = ToHttp(uri, "/stream/send");
        _send = new UriBuilder(_send) { Query = "" }.Uri;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, _send) { Content = new ReadOnlyMemoryContent(utf8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        request.Headers.TryAddWithoutValidation(TokenHeader, _token);
        using var answer = await _http.SendAsync(request, linked.Token);
        if (answer.StatusCode != HttpStatusCode.Accepted)
        {
            // 404/410/421: the stream is gone or elsewhere; 413: it ends with its own close line. Either way, this connection is over.
            throw new IOException($"The server refused a frame ({(int)answer.StatusCode}): {await answer.Content.ReadAsStringAsync(linked.Token)}");
        }
    }

    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        while (await _reader!.ReadLineAsync(linked.Token) is { } line)
        {
            if (line.Length == 0 || line.StartsWith("{\"type\":\"ping\"", StringComparison.Ordinal))
            {
                continue;
            }

            // The server's last line (its close code and reason): the connection ends like a closed WebSocket.
            return line.StartsWith("{\"type\":\"close\"", StringComparison.Ordinal) ? null : line;
        }

        return null;
    }

    /// <summary>A stream has no close handshake: ending the request is the close.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        Abort();
        return Task.CompletedTask;
    }

    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _response?.Dispose();
    }

    public void Dispose()
    {
        Abort();
        _reader?.Dispose();
        _response?.Dispose();
        _http.Dispose();
        _abort.Dispose();
    }
}
