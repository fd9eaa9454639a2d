using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Broadcast.Testing;

/// <summary>
/// A raw HTTP streaming client for tests: <c>GET /stream</c> read line by line (each line one frame), and
/// POSTs of frames to <c>/stream/send</c> with the stream's token. Nothing is hidden: the first line (the
/// token) and the last (<c>close</c>) are frames like the others.
/// </summary>
public sealed class HttpStreamClient : IAsyncDisposable
{
    private readonly OpenResponse _open;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _reader;

    private HttpStreamClient(HttpClient http, HttpResponseMessage response, Stream body)
    {
        _open = new OpenResponse(http, response);
        _reader = ReadAsync(body);
    }

    /// <summary>The stream's token, from its first line (null until read: <see cref="OpenAsync"/> waits for it).</summary>
    public string Token { get; private set; } = "";

    public HttpResponseMessage Response => _open.Response;

    /// <summary>Completes when the response ended (the server's last line, or a cut).</summary>
    public Task Completion => _reader;

    /// <summary>Opens a stream; <paramref name="configure"/> may add headers (Authorization, Origin). Throws unless 200.</summary>
    public static async Task<HttpStreamClient> OpenAsync(Uri baseAddress, Action<HttpRequestMessage>? configure = null, string path = "/stream", IPAddress? source = null)
    {
        var (client, status) = await TryOpenAsync(baseAddress, configure, path, source);
        if (client is null)
        {
            throw new InvalidOperationException($"GET {path} was answered {status}");
        }

        return client;
    }

    /// <summary>Opens a stream, or returns the refusal's status and body.</summary>
    /// <param name="source">The local address the client's connections leave from (127.0.0.x: distinct clients), for the stream and its POSTs.</param>
    public static async Task<(HttpStreamClient? Client, HttpResponseMessage Response)> TryOpenAsync(Uri baseAddress, Action<HttpRequestMessage>? configure = null, string path = "/stream", IPAddress? source = null)
    {
        var handler = source is null ? new SocketsHttpHandler() : SourceAddress.Handler(source);
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure?.Invoke(request);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            http.Dispose();
            return (null, response);
        }

        var client = new HttpStreamClient(http, response, await response.Content.ReadAsStreamAsync());
        var first = await client.ReceiveAsync("stream");
        client.Token = first.GetProperty("token").GetString()!;
        return (client, response);
    }

    /// <summary>POSTs frames (one per line) with this stream's token (or <paramref name="token"/>); returns the answer.</summary>
    public Task<HttpResponseMessage> PostAsync(params object[] frames) => PostRawAsync(string.Join('\n', frames.Select(f => f as string ?? JsonSerializer.Serialize(f))));

    public Task<HttpResponseMessage> PostRawAsync(string body, string? token = null) => PostBytesAsync(Encoding.UTF8.GetBytes(body), token);

    public async Task<HttpResponseMessage> PostBytesAsync(byte[] body, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/stream/send") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        request.Headers.TryAddWithoutValidation("Broadcast-Stream", token ?? Token);
        return await _open.Http.SendAsync(request);
    }

    /// <summary>Sends frames and fails unless they were accepted (202).</summary>
    public async Task SendAsync(params object[] frames)
    {
        using var answer = await PostAsync(frames);
        if (answer.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /stream/send was answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>The next frame; a <c>ping</c> is skipped unless asked for.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null, bool skipPings = true)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        while (true)
        {
            JsonElement frame;
            try
            {
                frame = await _frames.Reader.ReadAsync(cts.Token);
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException("The stream ended");
            }

            if (skipPings && frame.GetProperty("type").GetString() == "ping")
            {
                continue;
            }

            return frame;
        }
    }

    public async Task<JsonElement> ReceiveAsync(string expectedType, TimeSpan? timeout = null)
    {
        var frame = await ReceiveAsync(timeout);
        if (frame.GetProperty("type").GetString() != expectedType)
        {
            throw new InvalidOperationException($"Expected a '{expectedType}' frame, got {frame}");
        }

        return frame;
    }

    /// <summary>Frames until the stream's <c>close</c> line (returned) and the end of the response.</summary>
    public async Task<(JsonElement Close, List<JsonElement> Before)> ReceiveUntilCloseAsync(TimeSpan? timeout = null)
    {
        var before = new List<JsonElement>();
        while (true)
        {
            var frame = await ReceiveAsync(timeout);
            if (frame.GetProperty("type").GetString() == "close")
            {
                return (frame, before);
            }

            before.Add(frame);
        }
    }

    /// <summary>Says hello and returns the welcome.</summary>
    public async Task<JsonElement> HelloAsync(string? session = null, string? name = null)
    {
        await SendAsync(new { type = "hello", session, name });
        return await ReceiveAsync("welcome");
    }

    private async Task ReadAsync(Stream body)
    {
        try
        {
            using var reader = new StreamReader(body, Encoding.UTF8);
            while (await reader.ReadLineAsync(_open.Stopping) is { } line)
            {
                if (line.Length > 0)
                {
                    _frames.Writer.TryWrite(JsonDocument.Parse(line).RootElement.Clone());
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            // The response was cut: the frames read so far stay readable.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public ValueTask DisposeAsync() => _open.DisposeAsync(_reader);
}
