using System.Buffers;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>
/// One timer for every connection-level WebSocket's keep-alive, instead of one per connection: an idle
/// connection is then only an entry in a set (no timer object, queue node or callback state of its own,
/// ~150 bytes each at 15,000 idle clients). It ticks four times per keep-alive period, so each connection is
/// pinged at most a quarter period late, and the pings of clients that connected at different times stay spread.
/// </summary>
internal sealed class KeepAliveClock : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<RawWebSocketConnection> _connections = [];
    private readonly Timer? _timer;

    public KeepAliveClock(TransportOptions options)
    {
        if (options.KeepAliveInterval <= TimeSpan.Zero)
        {
            return;
        }

        var period = options.KeepAliveInterval < options.KeepAliveTimeout ? options.KeepAliveInterval : options.KeepAliveTimeout;
        period /= 4;
        _timer = new Timer(static state => ((KeepAliveClock)state!).Tick(), this, period, period);
    }

    /// <summary>False when keep-alive is off (<c>Broadcast:KeepAliveInterval</c> = 0): nothing is ever pinged.</summary>
    public bool Enabled => _timer is not null;

    public void Add(RawWebSocketConnection connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
        }
    }

    public void Remove(RawWebSocketConnection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    private void Tick()
    {
        // A snapshot, so that a connection's tick (which may abort it and so remove it) runs outside the lock.
        RawWebSocketConnection[] snapshot;
        int count;
        lock (_lock)
        {
            count = _connections.Count;
            if (count == 0)
            {
                return;
            }

            snapshot = ArrayPool<RawWebSocketConnection>.Shared.Rent(count);
            _connections.CopyTo(snapshot);
        }

        try
        {
            for (var i = 0; i < count; i++)
            {
                snapshot[i].KeepAliveTick();
            }
        }
        finally
        {
            ArrayPool<RawWebSocketConnection>.Shared.Return(snapshot, clearArray: true);
        }
    }

    public void Dispose() => _timer?.Dispose();
}
