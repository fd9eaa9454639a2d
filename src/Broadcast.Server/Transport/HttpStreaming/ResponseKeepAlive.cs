using System.Buffers;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.HttpStreaming;

/// <summary>
/// One timer for the keep-alive of every response-carried connection (HTTP streaming and SSE): a connection
/// that wrote nothing for <c>Broadcast:KeepAliveInterval</c> gets its transport's keep-alive frame, which
/// proxies see as traffic (so they do not cut an idle response) and clients ignore. There is no pong over
/// HTTP: a client that is gone shows when the writes fail, and one that stops reading is a slow consumer.
/// </summary>
internal sealed class ResponseKeepAlive : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<ResponseStreamConnection> _connections = [];
    private readonly Timer? _timer;
    private readonly long _idleMilliseconds;

    public ResponseKeepAlive(IOptions<TransportOptions> options)
    {
        var interval = options.Value.KeepAliveInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        _idleMilliseconds = (long)interval.TotalMilliseconds;

        // Four ticks per period: a connection's keep-alive is at most a quarter period late.
        var period = interval / 4;
        _timer = new Timer(static state => ((ResponseKeepAlive)state!).Tick(), this, period, period);
    }

    public void Add(ResponseStreamConnection connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
        }
    }

    public void Remove(ResponseStreamConnection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    private void Tick()
    {
        ResponseStreamConnection[] snapshot;
        int count;
        lock (_lock)
        {
            count = _connections.Count;
            if (count == 0)
            {
                return;
            }

            snapshot = ArrayPool<ResponseStreamConnection>.Shared.Rent(count);
            _connections.CopyTo(snapshot);
        }

        try
        {
            for (var i = 0; i < count; i++)
            {
                snapshot[i].KeepAliveTick(_idleMilliseconds);
            }
        }
        finally
        {
            ArrayPool<ResponseStreamConnection>.Shared.Return(snapshot, clearArray: true);
        }
    }

    public void Dispose() => _timer?.Dispose();
}
