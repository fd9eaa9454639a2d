using Polly;
using Polly.Retry;

namespace Broadcast.Server.Engines;

/// <summary>
/// Runs the node's background work (the heartbeat, presence refresh, catching up after a reconnect) so that
/// no exception of any kind ends it or the node: each failure is logged and counted
/// (<c>broadcast.server.background.errors</c>), and the work is tried again with exponential backoff and
/// jitter until it succeeds or the node stops.
/// </summary>
/// <remarks>
/// Any exception, not only the ones known to mean "Redis is unreachable": during a stall StackExchange.Redis
/// also throws InvalidOperationException and others, and one unexpected type escaping a background service
/// used to stop the whole node (issue #12). A bug that keeps failing is retried at <see cref="MaxDelay"/>
/// and stays visible in the log and the metric, while the node keeps serving its connections.
/// </remarks>
public sealed partial class BackgroundRetry
{
    /// <summary>Wait before the first retry; each further retry waits about twice as long.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between two attempts, so work resumes within seconds of the fault ending.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private static readonly ResiliencePropertyKey<Attempts> AttemptsKey = new("broadcast.background.attempts");

    private readonly IEngineObserver _metrics;
    private readonly ILogger<BackgroundRetry> _logger;
    private readonly ResiliencePipeline _pipeline;

    public BackgroundRetry(IEngineObserver metrics, ILogger<BackgroundRetry> logger, TimeProvider clock)
    {
        _metrics = metrics;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                // Everything but the node stopping (the caller's token) is retried.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && !(ex is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                OnRetry = args =>
                {
                    var attempts = args.Context.Properties.GetValue(AttemptsKey, null!);
                    attempts.Failures++;
                    Record(attempts.Task, args.Outcome.Exception!, first: attempts.Failures == 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Runs <paramref name="work"/> until it completes without an exception. Never throws: returns false
    /// when <paramref name="cancellationToken"/> (the node or the work's owner stopping) ended it first.
    /// </summary>
    /// <param name="task">What the work is, for the log and the metric's <c>broadcast.task</c> attribute.</param>
    public async Task<bool> RunAsync(string task, Func<CancellationToken, ValueTask> work, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        var attempts = new Attempts(task);
        context.Properties.Set(AttemptsKey, attempts);
        try
        {
            await _pipeline.ExecuteAsync(static (context, work) => work(context.CancellationToken), context, work);
            if (attempts.Failures > 0)
            {
                LogRecovered(_logger, task, attempts.Failures);
            }

            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Logs and counts the failure of a callback that is not retried (an event handler: the next event runs it again).</summary>
    public void Failed(string task, Exception exception) => Record(task, exception, first: true, retryIn: null);

    private void Record(string task, Exception exception, bool first, TimeSpan? retryIn)
    {
        _metrics.BackgroundError(task, exception.GetType().Name);
        var retry = retryIn is { } delay ? $"retrying in {delay.TotalMilliseconds:0} ms" : "not retried";
        if (exception is EngineUnavailableException)
        {
            // Expected while Redis is unreachable: the engine has logged the cause; one line per outage here.
            if (first)
            {
                LogUnavailable(_logger, task, exception.Message, retry);
            }
            else
            {
                LogUnavailableAgain(_logger, task, exception.Message, retry);
            }
        }
        else if (first)
        {
            // Unexpected: with the stack, since it may be a bug.
            LogFailed(_logger, exception, task, exception.GetType().Name, retry);
        }
        else
        {
            LogFailedAgain(_logger, task, exception.GetType().Name, exception.Message, retry);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Background work {Task} failed: engine unavailable ({Reason}); {Retry}")]
    private static partial void LogUnavailable(ILogger logger, string task, string reason, string retry);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Background work {Task} failed again: engine unavailable ({Reason}); {Retry}")]
    private static partial void LogUnavailableAgain(ILogger logger, string task, string reason, string retry);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Background work {Task} failed with {ErrorType}; {Retry}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string task, string errorType, string retry);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Background work {Task} failed again with {ErrorType}: {Reason}; {Retry}")]
    private static partial void LogFailedAgain(ILogger logger, string task, string errorType, string reason, string retry);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Background work {Task} succeeded after {Failures} failed attempts")]
    private static partial void LogRecovered(ILogger logger, string task, int failures);

    /// <summary>One run's task name and failures so far, carried to the retry callback.</summary>
    private sealed class Attempts(string task)
    {
        public string Task { get; } = task;

        public int Failures { get; set; }
    }
}
