using System.Net;
using System.Net.Sockets;

namespace Broadcast.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of the server. <see cref="GoSilent"/> makes it stop forwarding in
/// both directions while keeping both sockets open, which is what a peer that vanished without a FIN
/// (a pulled cable, a suspended laptop) looks like to the server.
/// </summary>
public sealed class SilenceableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly Task _acceptLoop;
    private volatile bool _silent;
    private long _bytesToClient;

    public SilenceableProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes forwarded from the server to the client so far.</summary>
    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    public void GoSilent() => _silent = true;

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_target, _stop.Token);
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }

                _ = PumpAsync(client.GetStream(), server.GetStream(), toClient: false);
                _ = PumpAsync(server.GetStream(), client.GetStream(), toClient: true);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool toClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0 || _silent)
                {
                    // Silent: swallow everything from now on and never close, like a vanished peer.
                    if (read == 0)
                    {
                        return;
                    }

                    continue;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                if (toClient)
                {
                    Interlocked.Add(ref _bytesToClient, read);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        await _acceptLoop;
        _stop.Dispose();
    }
}
