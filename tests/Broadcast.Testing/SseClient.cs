using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Broadcast.Testing;

/// <summary>One Server-Sent Event as it arrived: its name (<c>message</c> when unnamed), id and data.</summary>
public sealed record SseEvent(string Event, string? Id, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
}

/// <summary>A raw <c>text/event-stream</c> reader for tests, parsing events as a browser's EventSource does (comments skipped).</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly OpenResponse _open;
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly Task _reader;

    private SseClient(HttpClient http, HttpResponseMessage response, Stream body)
    {
        _open = new OpenResponse(http, response);
        _reader = ReadAsync(body);
    }

    public HttpResponseMessage Response => _open.Response;

    /// <summary>The id of the last event that had one: what a browser would send as <c>Last-Event-ID</c>.</summary>
    public string? LastEventId { get; private set; }

    public Task Completion => _reader;

    /// <summary>Opens <paramref name="pathAndQuery"/>, with <paramref name="lastEventId"/> as a reconnecting browser sends it; the refusal otherwise.</summary>
    public static async Task<(SseClient? Client, HttpResponseMessage Response)> TryOpenAsync(Uri baseAddress, string pathAndQuery, string? lastEventId = null, Action<HttpRequestMessage>? configure = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        configure?.Invoke(request);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            http.Dispose();
            return (null, response);
        }

        return (new SseClient(http, response, await response.Content.ReadAsStreamAsync()), response);
    }

    public static async Task<SseClient> OpenAsync(Uri baseAddress, string pathAndQuery, string? lastEventId = null)
    {
        var (client, response) = await TryOpenAsync(baseAddress, pathAndQuery, lastEventId);
        return client ?? throw new InvalidOperationException($"GET {pathAndQuery} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<SseEvent> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The event stream ended");
        }
    }

    public async Task<SseEvent> ReceiveAsync(string expectedEvent, TimeSpan? timeout = null)
    {
        var received = await ReceiveAsync(timeout);
        if (received.Event != expectedEvent)
        {
            throw new InvalidOperationException($"Expected a '{expectedEvent}' event, got {received}");
        }

        return received;
    }

    private async Task ReadAsync(Stream body)
    {
        try
        {
            using var reader = new StreamReader(body, Encoding.UTF8);
            string? name = null;
            string? id = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(_open.Stopping) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        if (id is not null)
                        {
                            LastEventId = id;
                        }

                        _events.Writer.TryWrite(new SseEvent(name ?? "message", id, data.ToString().TrimEnd('\n')));
                    }

                    name = null;
                    id = null;
                    data.Clear();
                    continue;
                }

                if (line.StartsWith(':'))
                {
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "event": name = value; break;
                    case "id": id = value; break;
                    case "data": data.Append(value).Append('\n'); break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public ValueTask DisposeAsync() => _open.DisposeAsync(_reader);
}
