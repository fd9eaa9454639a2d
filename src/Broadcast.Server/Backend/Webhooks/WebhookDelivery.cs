using Broadcast.Server.Engines;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// Sends the queued webhook events, one batch at a time: takes up to MaxBatchSize (waiting up to MaxBatchWait for
/// a batch to fill), POSTs it, and acknowledges it only after a 2xx. A failed attempt is tried again with
/// exponential backoff and jitter (Polly) until the batch's oldest event is MaxAge old; before every attempt the
/// batch is touched in the queue (so on Redis no other node takes it over while this one works on it) and
/// events past MaxAge are given up. At least once: a receiver dedupes by event <c>id</c>.
/// </summary>
internal sealed partial class WebhookDelivery(
    WebhookQueue queue,
    WebhookSender sender,
    IBackendObserver observer,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDelivery> logger) : BackgroundService
{
    private readonly WebhookOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.IsEnabled)
        {
            return;
        }

        var retry = Pipeline();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await TakeBatchAsync(stoppingToken);
                if (batch.Count == 0)
                {
                    await queue.Queue.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }

                queue.InFlight(batch.Count);
                try
                {
                    await DeliverAsync(batch, retry, stoppingToken);
                }
                finally
                {
                    queue.InFlight(-batch.Count);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: what was taken stays pending (on Redis another node, or this one after a restart, takes it).
                return;
            }
            catch (EngineUnavailableException ex)
            {
                LogQueueUnavailable(logger, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Up to MaxBatchSize events: what is ready now, topped up for at most MaxBatchWait.</summary>
    private async Task<List<QueuedEntry>> TakeBatchAsync(CancellationToken cancellationToken)
    {
        var batch = new List<QueuedEntry>(await queue.Queue.TakeAsync(_options.MaxBatchSize, cancellationToken));
        if (batch.Count == 0 || _options.MaxBatchWait <= TimeSpan.Zero)
        {
            return batch;
        }

        var started = clock.GetTimestamp();
        while (batch.Count < _options.MaxBatchSize)
        {
            var left = _options.MaxBatchWait - clock.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            await queue.Queue.WaitAsync(left, cancellationToken);
            batch.AddRange(await queue.Queue.TakeAsync(_options.MaxBatchSize - batch.Count, cancellationToken));
        }

        return batch;
    }

    private async Task DeliverAsync(List<QueuedEntry> taken, ResiliencePipeline<bool> retry, CancellationToken stoppingToken)
    {
        var live = taken.Select(entry => (Entry: entry, Time: TimeOf(entry))).ToList();
        var oldest = live.Min(e => e.Time);
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var lifeLeft = oldest + _options.MaxAge - clock.GetUtcNow();
        expiry.CancelAfter(lifeLeft > TimeSpan.Zero ? lifeLeft : TimeSpan.Zero);
        try
        {
            await retry.ExecuteAsync(
                async token =>
                {
                    live = await KeepAsync(live, token);
                    if (live.Count == 0)
                    {
                        return true;
                    }

                    var body = WebhookSender.Body([.. live.Select(e => e.Entry.Data)]);
                    if (!await sender.SendAsync(body, live.Count, token))
                    {
                        return false;
                    }

                    observer.WebhookEventsSent(live.Count);
                    await AcknowledgeAsync([.. live.Select(e => e.Entry)]);
                    return true;
                },
                expiry.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The oldest event reached MaxAge while retrying: give up what is left of the batch.
            await GiveUpAsync(live);
        }
    }

    /// <summary>Touches the batch in the queue (dropping what another node took over) and gives up the events past MaxAge.</summary>
    private async Task<List<(QueuedEntry Entry, DateTimeOffset Time)>> KeepAsync(List<(QueuedEntry Entry, DateTimeOffset Time)> live, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var expired = live.Where(e => now - e.Time >= _options.MaxAge).ToList();
        if (expired.Count > 0)
        {
            await GiveUpAsync(expired);
        }

        var current = live.Where(e => now - e.Time < _options.MaxAge).ToList();
        try
        {
            var kept = (await queue.Queue.KeepAsync([.. current.Select(e => e.Entry)], cancellationToken)).Select(entry => entry.Id).ToHashSet(StringComparer.Ordinal);
            return [.. current.Where(e => kept.Contains(e.Entry.Id))];
        }
        catch (EngineUnavailableException ex)
        {
            // Cannot tell whether another node took them over: send anyway (at least once; the receiver dedupes).
            LogQueueUnavailable(logger, ex.Message);
            return current;
        }
    }

    private async Task GiveUpAsync(List<(QueuedEntry Entry, DateTimeOffset Time)> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        observer.WebhookEventsFailed(events.Count, "expired");
        LogGaveUp(logger, events.Count, _options.MaxAge);
        await AcknowledgeAsync([.. events.Select(e => e.Entry)]);
    }

    private async Task AcknowledgeAsync(IReadOnlyList<QueuedEntry> entries)
    {
        try
        {
            await queue.Queue.AcknowledgeAsync(entries, CancellationToken.None);
        }
        catch (EngineUnavailableException ex)
        {
            // Left pending: taken over and sent again later (at least once).
            LogQueueUnavailable(logger, ex.Message);
        }
    }

    private DateTimeOffset TimeOf(QueuedEntry entry)
    {
        try
        {
            return WebhookEventWriter.TimeOf(entry.Data);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // Not ours (something else wrote to the stream): old enough to be given up at once.
            return DateTimeOffset.MinValue + _options.MaxAge;
        }
    }

    private ResiliencePipeline<bool> Pipeline() =>
        new ResiliencePipelineBuilder<bool>()
            .AddRetry(new RetryStrategyOptions<bool>
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,

                // Never longer than a third of ClaimIdle: each attempt touches the batch, which must happen before another node may take it over.
                MaxDelay = TimeSpan.FromTicks(Math.Min(_options.RetryMaxDelay.Ticks, _options.ClaimIdle.Ticks / 3)),
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is EngineUnavailableException || (args.Outcome.Exception is null && !args.Outcome.Result)),
                OnRetry = args =>
                {
                    observer.WebhookRequestRetried();
                    return default;
                },
            })
            .Build();

    [LoggerMessage(EventId = 8012, Level = LogLevel.Warning, Message = "Gave up {Count} webhook events not delivered within {MaxAge} (Broadcast:Webhooks:MaxAge)")]
    private static partial void LogGaveUp(ILogger logger, int count, TimeSpan maxAge);

    [LoggerMessage(EventId = 8013, Level = LogLevel.Warning, Message = "The webhook queue could not be used (tried again): {Reason}")]
    private static partial void LogQueueUnavailable(ILogger logger, string reason);
}
