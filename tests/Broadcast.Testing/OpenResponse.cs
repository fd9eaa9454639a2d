namespace Broadcast.Testing;

/// <summary>
/// A streamed HTTP response a test client reads until it ends or is disposed (<see cref="HttpStreamClient"/>,
/// <see cref="SseClient"/>): its client, the response, the token that stops the reading, and the end of it all.
/// </summary>
internal sealed class OpenResponse(HttpClient http, HttpResponseMessage response)
{
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    public HttpClient Http => http;

    public HttpResponseMessage Response => response;

    /// <summary>Cancelled when the client is disposed: the reader stops.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Stops the reading, cuts the response, waits for <paramref name="reader"/> to end, then lets everything go (once).</summary>
    public async ValueTask DisposeAsync(Task reader)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        response.Dispose();
        try
        {
            await reader;
        }
        catch (Exception)
        {
            // The reader ends with the response; how it ended is not the disposer's concern.
        }

        http.Dispose();
        _stop.Dispose();
    }
}
