using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Counts open TCP connections per client address from their first byte, before any HTTP is read, and
/// closes at once those past <see cref="LimitsOptions.MaxSocketsPerAddress"/>. Runs as Kestrel connection
/// middleware: the upgrade-time checks (<see cref="ConnectionLimiter"/>) see only requests that arrived,
/// so sockets that never send one (issue 11: 400 silent sockets from one address held the whole node for
/// the handshake timeout, again and again) were counted by nothing but the node's total. It works at the TCP
/// level, before any forwarded header could be read, so behind a proxy every socket has the proxy's address:
/// sockets from a configured proxy (<see cref="TrustedProxies"/>) are not counted here (the proxy holds many
/// clients' sockets; the node's limit still counts them, and the upgrade's per-address limit sees each client).
/// </summary>
public sealed class AddressSocketLimiter
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();
    private readonly ILimitObserver _metrics;
    private readonly ILogger<AddressSocketLimiter> _logger;
    private readonly TrustedProxies _proxies;

    public AddressSocketLimiter(IOptions<LimitsOptions> options, ConnectionLimiter connections, ILimitObserver metrics, ILogger<AddressSocketLimiter> logger, TrustedProxies proxies)
    {
        _metrics = metrics;
        _proxies = proxies;
        _logger = logger;
        var configured = options.Value.MaxSocketsPerAddress;
        // By default a quarter of the node: one address cannot hold it, and a NAT with many users still fits.
        Limit = configured > 0 ? configured : Math.Max(16, connections.MaxConnections / 4);
    }

    /// <summary>The effective limit.</summary>
    public int Limit { get; }

    /// <summary>Addresses with open connections now (tests and diagnostics).</summary>
    internal int AddressCount => _open.Count;

    /// <summary>The middleware, for <c>ListenOptions.Use</c>.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => context => HandleAsync(next, context);

    private async Task HandleAsync(ConnectionDelegate next, ConnectionContext context)
    {
        var peer = (context.RemoteEndPoint as IPEndPoint)?.Address;
        if (!TryOpen(peer))
        {
            // Returning without reading closes the connection (FIN): nothing was read, so nothing is answered.
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            Close(peer);
        }
    }

    /// <summary>
    /// Counts a new socket from <paramref name="peer"/>; false (refused, counted in the metrics and logged)
    /// when its address already holds <see cref="Limit"/>. A socket with no address to count by (a Unix
    /// socket, a named pipe) or from a trusted proxy always opens. Each true is ended by one <see cref="Close"/>.
    /// </summary>
    public bool TryOpen(IPAddress? peer)
    {
        if (AddressKey.Of(peer) is not { } address || _proxies.Contains(peer))
        {
            // Nothing to count by; a proxy's sockets are many clients'.
            return true;
        }

        if (_open.AddOrUpdate(address, 1, static (_, n) => n + 1) > Limit)
        {
            Release(address);
            _metrics.SocketRefused();
            LimitLog.SocketRefused(_logger, address, Limit);
            return false;
        }

        return true;
    }

    /// <summary>A socket <see cref="TryOpen"/> let in has closed (or left the count's owner).</summary>
    public void Close(IPAddress? peer)
    {
        if (AddressKey.Of(peer) is { } address && !_proxies.Contains(peer))
        {
            Release(address);
        }
    }

    private void Release(IPAddress address)
    {
        if (_open.AddOrUpdate(address, 0, static (_, n) => n - 1) <= 0)
        {
            _open.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }
}
