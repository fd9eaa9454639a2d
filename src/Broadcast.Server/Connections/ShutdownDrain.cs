using System.Net.WebSockets;
using Broadcast.Server.Transport;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Graceful shutdown. When the host begins to stop (SIGTERM, Ctrl+C), new upgrades are refused with
/// 503 and every client is sent what is already queued for it, then close 1001 (going away) so it
/// reconnects elsewhere. Kestrel then waits for the connections to finish; any that have not by
/// <see cref="ConnectionOptions.ShutdownTimeout"/> are aborted.
/// </summary>
public sealed class ShutdownDrain
{
    private readonly ConnectionRegistry _registry;
    private readonly ILogger<ShutdownDrain> _logger;
    private readonly TimeSpan _timeout;
    private int _draining;

    public ShutdownDrain(ConnectionRegistry registry, IOptions<ConnectionOptions> options, IHostApplicationLifetime lifetime, ILogger<ShutdownDrain> logger)
    {
        _registry = registry;
        _logger = logger;
        _timeout = options.Value.ShutdownTimeout;
        CloseRequest = new CloseRequest(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", DrainFirst: true, _timeout);
        lifetime.ApplicationStopping.Register(Begin);
    }

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    internal CloseRequest CloseRequest { get; }

    /// <summary>Starts the drain; returns at once. Safe to call more than once.</summary>
    public void Begin()
    {
        if (Interlocked.Exchange(ref _draining, 1) == 1)
        {
            return;
        }

        ConnectionLog.Draining(_logger, _registry.Count, _timeout);
        foreach (var connection in _registry.All())
        {
            connection.Frames.RequestClose(CloseRequest);
        }
    }
}
