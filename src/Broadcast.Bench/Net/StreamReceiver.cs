using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Broadcast.Bench.Cli;

namespace Broadcast.Bench.Net;

/// <summary>
/// A subscriber over HTTP streaming or SSE: one long response read in chunks, handed to the sink one run of
/// whole lines at a time (a frame is one line of NDJSON, or one <c>data:</c> line of SSE, and the sink finds
/// every <c>"message":"…"</c> in what it is given), so no message is cut in two.
/// </summary>
public sealed class StreamReceiver : IDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private int _closed;

    private StreamReceiver(HttpClient http, HttpResponseMessage response, Stream body)
    {
        _http = http;
        _response = response;
        _body = body;
    }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Opens the stream (and, for HTTP streaming, says hello and subscribes); null and the reason when it could not.</summary>
    public static async Task<(StreamReceiver? Receiver, HandshakeStatus Status, string? Error)> ConnectAsync(Uri webSocketUrl, SubscriberTransport transport, string channel, IPAddress? source, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (source is not null)
                    {
                        socket.Bind(new IPEndPoint(source, 0));
                    }

                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var baseUri = new UriBuilder(webSocketUrl) { Scheme = webSocketUrl.Scheme == "wss" ? "https" : "http", Path = "", Query = "" }.Uri;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var path = transport == SubscriberTransport.Sse ? $"/sse?channel={Uri.EscapeDataString(channel)}" : "/stream";
            var response = await http.GetAsync(new Uri(baseUri, path), HttpCompletionOption.ResponseHeadersRead, cts.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                http.Dispose();
                return (null, (int)response.StatusCode is 429 or 503 ? HandshakeStatus.Refused : HandshakeStatus.Rejected, $"HTTP {(int)response.StatusCode}");
            }

            var body = await response.Content.ReadAsStreamAsync(cts.Token);
            if (transport == SubscriberTransport.HttpStream)
            {
                var token = await ReadTokenAsync(body, cts.Token);
                using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "/stream/send"))
                {
                    Content = new StringContent($"{{\"type\":\"hello\"}}\n{{\"type\":\"subscribe\",\"id\":\"s\",\"channel\":\"{channel}\"}}"),
                };
                post.Headers.TryAddWithoutValidation("Broadcast-Stream", token);
                using var accepted = await http.SendAsync(post, cts.Token);
                if (accepted.StatusCode != HttpStatusCode.Accepted)
                {
                    http.Dispose();
                    return (null, HandshakeStatus.Rejected, $"POST /stream/send: HTTP {(int)accepted.StatusCode}");
                }
            }

            return (new StreamReceiver(http, response, body), HandshakeStatus.Connected, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or SocketException)
        {
            http.Dispose();
            return (null, HandshakeStatus.Failed, ex.Message);
        }
    }

    /// <summary>The stream's first line, read byte by byte so nothing after it is consumed here.</summary>
    private static async Task<string> ReadTokenAsync(Stream body, CancellationToken cancellationToken)
    {
        var line = new List<byte>(256);
        var one = new byte[1];
        while (await body.ReadAsync(one, cancellationToken) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        var text = Encoding.UTF8.GetString([.. line]);
        const string Key = "\"token\":\"";
        var start = text.IndexOf(Key, StringComparison.Ordinal) + Key.Length;
        return text[start..text.IndexOf('"', start)];
    }

    /// <summary>Reads until the response ends, handing every run of whole lines to <paramref name="sink"/>.</summary>
    public async Task ReceiveLoopAsync(IFrameSink sink)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await _body.ReadAsync(buffer.AsMemory(filled));
                if (read == 0)
                {
                    break;
                }

                filled += read;
                var end = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n');
                if (end < 0)
                {
                    continue;
                }

                sink.OnText(buffer.AsSpan(0, end + 1), Stopwatch.GetTimestamp());
                buffer.AsSpan(end + 1, filled - end - 1).CopyTo(buffer);
                filled -= end + 1;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
        {
            // Closed by us at the end, or cut by the server.
        }
        finally
        {
            Volatile.Write(ref _closed, 1);
        }
    }

    public void Close() => Dispose();

    public void Dispose()
    {
        Volatile.Write(ref _closed, 1);
        _response.Dispose();
        _http.Dispose();
    }
}
