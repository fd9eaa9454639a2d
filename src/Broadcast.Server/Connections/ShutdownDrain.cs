using System.Net.WebSockets;
using Broadcast.Server.Transport;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Graceful shutdown. When the host begins to stop (SIGTERM, Ctrl+C), new upgrades are refused with 503 and
/// every publish with <c>shutting_down</c>; the publishes this node admitted before are let finish (their
/// fan-out included), then every client is sent what is already queued for it and close 1001 (going away)
/// so it reconnects elsewhere. A 1001 therefore comes after every publication this node accepted: a client
/// that got it missed nothing here. Kestrel then waits for the connections to finish; any that have not by
/// <see cref="ConnectionOptions.ShutdownTimeout"/> are aborted.
/// </summary>
public sealed class ShutdownDrain
{
    private readonly ConnectionRegistry _registry;
    private readonly ILogger<ShutdownDrain> _logger;
    private readonly TimeSpan _timeout;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _draining;
    private int _holds;

    public ShutdownDrain(ConnectionRegistry registry, IOptions<ConnectionOptions> options, IHostApplicationLifetime lifetime, ILogger<ShutdownDrain> logger)
    {
        _registry = registry;
        _logger = logger;
        _timeout = options.Value.ShutdownTimeout;
        CloseRequest = new CloseRequest(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", DrainFirst: true, _timeout);
        lifetime.ApplicationStopping.Register(Begin);
    }

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    /// <summary>
    /// The longest the drain waits for publishes admitted before it (with Redis, each is a round trip that
    /// ends by <c>Broadcast:Redis:OperationTimeout</c>): half of <see cref="ConnectionOptions.ShutdownTimeout"/>,
    /// the rest being the clients' to read what is queued.
    /// </summary>
    public TimeSpan PublishWait => _timeout / 2;

    internal CloseRequest CloseRequest { get; }

    /// <summary>Publishes and answers the closes wait for now (tests and diagnostics).</summary>
    internal int Holds => Volatile.Read(ref _holds);

    /// <summary>
    /// Called right before a publish goes to the engine. False once the drain began: refuse it
    /// (<c>shutting_down</c>), nothing is published. True: the drain waits for <see cref="Release"/> (call it
    /// once the publish was answered) before closing any connection, so the publication and its answer reach
    /// every client that is still here.
    /// </summary>
    public bool TryHoldForPublish()
    {
        // The increment and Begin's exchange are both full fences: either this publish sees the drain, or
        // the drain sees this publish.
        Interlocked.Increment(ref _holds);
        if (IsDraining)
        {
            Release();
            return false;
        }

        return true;
    }

    /// <summary>
    /// Holds the closes for an answer queued behind a held publish (a refusal must follow the answers before it,
    /// so it waits for them): the publish it waits for holds the drain already, so this one cannot come too late.
    /// </summary>
    public void Hold() => Interlocked.Increment(ref _holds);

    /// <summary>What <see cref="TryHoldForPublish"/> or <see cref="Hold"/> held is done (published and answered, or refused).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0 && IsDraining)
        {
            _released.TrySetResult();
        }
    }

    /// <summary>Starts the drain; returns at once. Safe to call more than once.</summary>
    public void Begin()
    {
        if (Interlocked.Exchange(ref _draining, 1) == 1)
        {
            return;
        }

        ConnectionLog.Draining(_logger, _registry.Count, _timeout);
        if (Volatile.Read(ref _holds) == 0)
        {
            _released.TrySetResult();
        }

        _ = CloseAllWhenReleasedAsync();
    }

    private async Task CloseAllWhenReleasedAsync()
    {
        try
        {
            await _released.Task.WaitAsync(PublishWait);
        }
        catch (TimeoutException)
        {
            // An engine that does not answer cannot hold the shutdown: close anyway (with Redis, what a client
            // missed here is replayed when it resumes on another node).
        }

        foreach (var connection in _registry.All())
        {
            connection.Frames.RequestClose(CloseRequest);
        }
    }
}
