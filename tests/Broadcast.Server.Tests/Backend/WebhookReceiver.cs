using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broadcast.Server.Tests.Http;
using Broadcast.Testing;
using Microsoft.AspNetCore.Http;

namespace Broadcast.Server.Tests.Backend;

/// <summary>
/// A webhook receiver as a backend developer would write one (a real HTTP server on loopback): checks the
/// signature with its own HMAC code (not the server's), answers what <see cref="Answer"/> says for each request,
/// and keeps every event of the requests it answered 2xx, so a test can count deliveries by event id.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret-0123456789";

    private readonly ConcurrentQueue<ReceivedEvent> _accepted = new();
    private readonly ConcurrentQueue<ReceivedEvent> _refused = new();
    private int _requests;

    private WebhookReceiver(TestBackend backend)
    {
        Backend = backend;
    }

    public TestBackend Backend { get; }

    /// <summary>The status for the request numbered n (1-based); 200 unless a test says otherwise.</summary>
    public Func<int, int> Answer { get; set; } = _ => StatusCodes.Status200OK;

    /// <summary>Events of requests answered 2xx, in the order they arrived.</summary>
    public IReadOnlyList<ReceivedEvent> Accepted => [.. _accepted];

    /// <summary>Events of requests answered with a failure (to be sent again).</summary>
    public IReadOnlyList<ReceivedEvent> Refused => [.. _refused];

    public int RequestCount => Volatile.Read(ref _requests);

    public static async Task<WebhookReceiver> StartAsync()
    {
        WebhookReceiver? receiver = null;
        var backend = await TestBackend.StartAsync((context, request) => receiver!.HandleAsync(context, request));
        receiver = new WebhookReceiver(backend);
        return receiver;
    }

    public Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Broadcast:Webhooks:Url"] = Backend.Url("/webhooks").ToString(),
            ["Broadcast:Webhooks:Secret"] = Secret,
            ["Broadcast:Webhooks:MaxBatchWait"] = "00:00:00.050",
            ["Broadcast:Webhooks:RetryDelay"] = "00:00:00.050",
            ["Broadcast:Webhooks:RetryMaxDelay"] = "00:00:00.500",
            ["Broadcast:Webhooks:Timeout"] = "00:00:05",
            ["Broadcast:Webhooks:ClaimIdle"] = "00:00:12",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>
    /// What a receiver must do before trusting a request: recompute HMAC-SHA256(secret, t + "." + body), compare in
    /// constant time, and refuse a timestamp more than five minutes away from its own clock.
    /// </summary>
    public static bool Verifies(string? header, string body, string secret, DateTimeOffset now)
    {
        if (header is null)
        {
            return false;
        }

        var parts = header.Split(',').Select(part => part.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1) || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(v1));
    }

    private async Task HandleAsync(HttpContext context, BackendRequest request)
    {
        var number = Interlocked.Increment(ref _requests);
        if (!Verifies(request.Header("X-Broadcast-Signature"), request.Body, Secret, DateTimeOffset.UtcNow))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var status = Answer(number);
        var events = JsonDocument.Parse(request.Body).RootElement.GetProperty("events").EnumerateArray()
            .Select(e => new ReceivedEvent(e.GetProperty("id").GetString()!, e.GetProperty("type").GetString()!, e.GetProperty("channel").GetString()!, e.Clone(), request.Header("X-Broadcast-Node") ?? ""))
            .ToList();
        foreach (var received in events)
        {
            (status is >= 200 and < 300 ? _accepted : _refused).Enqueue(received);
        }

        context.Response.StatusCode = status;
        await context.Response.WriteAsync("");
    }

    /// <summary>The channel's accepted events as a receiver that dedupes by id sees them: each id once, in the order it first arrived.</summary>
    public List<ReceivedEvent> Deduplicated(string channel) =>
        [.. Accepted.Where(e => e.Channel == channel).DistinctBy(e => e.Id)];

    /// <summary>
    /// Until every node is done (nothing pending anywhere, and all they count as sent has arrived here), so an event
    /// any node sent twice would be among what is counted afterwards.
    /// </summary>
    public Task WaitUntilNodesDoneAsync(TimeSpan patience, params RunningServer[] nodes) => Eventually.TrueAsync(
        async () =>
        {
            var scrapes = await Task.WhenAll(nodes.Select(node => PrometheusScrape.FetchAsync(node.Http)));
            return scrapes.All(s => s.Sum("broadcast_server_webhook_events_pending") == 0)
                && scrapes.Sum(s => s.Sum("broadcast_server_webhook_events_sent_total")) == Accepted.Count;
        },
        patience,
        "every node to be done");

    public ValueTask DisposeAsync() => Backend.DisposeAsync();
}
