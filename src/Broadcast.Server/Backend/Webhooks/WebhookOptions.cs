using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// Webhooks (<c>Broadcast:Webhooks</c>): what happened to channels, POSTed to the application's backend in signed
/// JSON batches, retried until <see cref="MaxAge"/>, at least once. Off unless <see cref="Url"/> is set.
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Broadcast:Webhooks";

    /// <summary>Where batches are POSTed (http or https); unset: webhooks are off.</summary>
    public string? Url { get; set; }

    /// <summary>The HMAC-SHA256 key every request is signed with (<c>X-Broadcast-Signature</c>); at least 16 characters, required with <see cref="Url"/>.</summary>
    public string? Secret { get; set; }

    /// <summary>Comma-separated event types sent: <c>channel_occupied</c>, <c>channel_vacated</c>, <c>presence_join</c>, <c>presence_leave</c>.</summary>
    public string Events { get; set; } = string.Join(", ", WebhookEventTypes.Lifecycle);

    /// <summary>Comma-separated channel patterns whose occupied/vacated and presence events are sent (<c>*</c>: all).</summary>
    [RegularExpression(@"^[A-Za-z0-9_.:@/*, -]*$", ErrorMessage = "Broadcast:Webhooks:Channels must be comma-separated channel patterns.")]
    public string Channels { get; set; } = "*";

    /// <summary>Comma-separated channel patterns whose every publication is sent as a <c>publication</c> event (none by default).</summary>
    [RegularExpression(@"^[A-Za-z0-9_.:@/*, -]*$", ErrorMessage = "Broadcast:Webhooks:PublicationChannels must be comma-separated channel patterns.")]
    public string PublicationChannels { get; set; } = "";

    /// <summary>At most this many events in one request.</summary>
    [Range(1, 1000, ErrorMessage = "Broadcast:Webhooks:MaxBatchSize must be between {1} and {2}.")]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>How long the first event of a batch waits for others before the batch is sent anyway (0: send at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Broadcast:Webhooks:MaxBatchWait must be between {1} and {2}.")]
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the receiver may take to answer one request; past it the attempt failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Broadcast:Webhooks:Timeout must be between {1} and {2}.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause before the first retry; each later one doubles it (with jitter), up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Broadcast:Webhooks:RetryDelay must be between {1} and {2}.")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Broadcast:Webhooks:RetryMaxDelay must be between {1} and {2}.")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An event not delivered this long after it happened is given up (counted as failed, logged).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Broadcast:Webhooks:MaxAge must be between {1} and {2}.")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events held in this process: the whole queue on the memory engine, the buffer toward Redis on Redis. When full, new events are dropped (counted).</summary>
    [Range(1, 10_000_000, ErrorMessage = "Broadcast:Webhooks:QueueCapacity must be between {1} and {2}.")]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Redis: the event stream is capped near this many entries (<c>XADD MAXLEN ~</c>).</summary>
    [Range(1000, 100_000_000, ErrorMessage = "Broadcast:Webhooks:StreamMaxLength must be between {1} and {2}.")]
    public long StreamMaxLength { get; set; } = 1_000_000;

    /// <summary>Redis: events a node took and stopped working on (it died) for this long are taken over by another node; at least twice <see cref="Timeout"/> + <see cref="MaxBatchWait"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Broadcast:Webhooks:ClaimIdle must be between {1} and {2}.")]
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromMinutes(1);

    public bool IsEnabled => Url is { Length: > 0 };
}
