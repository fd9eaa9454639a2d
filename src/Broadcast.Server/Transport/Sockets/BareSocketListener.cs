using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Broadcast.Server.Transport.RawWebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// Kestrel's listener for a plain TCP endpoint, with the socket in the server's own hands from accept: each
/// new socket's first request is peeked (<see cref="UpgradeHeadPeek"/>) on its own task, never in the accept
/// loop; a WebSocket upgrade of the path is served on the bare socket (no Kestrel connection, pipes or
/// HTTP state under it), and everything else is handed to Kestrel untouched, as its own socket transport
/// would have accepted it (<see cref="SocketConnectionContextFactory"/>), through <see cref="AcceptAsync"/>.
/// </summary>
internal sealed class BareSocketListener : IConnectionListener
{
    /// <summary>Hand-offs waiting for Kestrel's accept loop: a peek task waits (never the accept loop) when it is this far behind.</summary>
    private const int HandOffQueue = 1024;

    /// <summary>How long sessions still open after <see cref="IBareSocketHandler.ShutdownWait"/> get once aborted.</summary>
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(5);

    /// <summary>Refused sockets that may linger for their FIN at once (<see cref="RefuseAsync"/>).</summary>
    private const int MaxLingering = 256;

    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);

    private readonly Socket _listenSocket;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly IBareSocketHandler _handler;
    private readonly bool _noDelay;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext> _handedOff = Channel.CreateBounded<ConnectionContext>(new BoundedChannelOptions(HandOffQueue) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    // Every socket between accept and its close or hand-off: what shutdown waits for, and aborts if it must.
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _acceptLoop;
    private int _stopping;
    private int _lingering;
    private long _nextId;

    public BareSocketListener(Socket listenSocket, SocketConnectionContextFactory contexts, IBareSocketHandler handler, bool noDelay, ILogger logger)
    {
        _listenSocket = listenSocket;
        _contexts = contexts;
        _handler = handler;
        _noDelay = noDelay;
        _logger = logger;
        EndPoint = listenSocket.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public EndPoint EndPoint { get; }

    /// <summary>Sockets this listener holds now (peeked at, or serving a WebSocket): tests and diagnostics.</summary>
    internal int OpenSockets => _open.Count;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _handedOff.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Unbound, and every hand-off before it taken: Kestrel's accept loop ends on null.
            return null;
        }
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _listenSocket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        Volatile.Write(ref _stopping, 1);
        if (_open.IsEmpty)
        {
            _allClosed.TrySetResult();
        }

        // Kestrel waited for its own connections; the WebSocket sessions here were sent 1001 by the shutdown
        // drain and are finishing their close handshake: give them that time, then cut what is left.
        if (!await WaitAllClosedAsync(_handler.ShutdownWait).ConfigureAwait(false))
        {
            foreach (var socket in _open.Keys)
            {
                socket.Dispose();
            }

            await WaitAllClosedAsync(AbortWait).ConfigureAwait(false);
        }

        _contexts.Dispose();
    }

    private async Task<bool> WaitAllClosedAsync(TimeSpan timeout)
    {
        try
        {
            await _allClosed.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listenSocket.AcceptAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // Reset before it was accepted: nothing to serve.
                    continue;
                }
                catch (SocketException ex) when (ex.SocketErrorCode is not (SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument))
                {
                    // Out of descriptors or memory for a moment: the limits should keep this from happening; keep listening.
                    SocketLog.AcceptFailed(_logger, EndPoint, ex);
                    await Task.Delay(TimeSpan.FromMilliseconds(10)).ConfigureAwait(false);
                    continue;
                }

                if (_noDelay)
                {
                    socket.NoDelay = true;
                }

                // On the thread pool, as Kestrel dispatches its connections: a client that sent its head with
                // the connect would otherwise be peeked, admitted and answered inline, here, holding up every accept behind it.
                ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Listener.ServeSocketAsync(state.Socket), (Listener: this, Socket: socket), preferLocal: false);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // Unbound: the listening socket was closed.
        }
        finally
        {
            _handedOff.Writer.TryComplete();
        }
    }

    private async Task ServeSocketAsync(Socket socket)
    {
        var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address;
        switch (_handler.Admit(remote, (EndPoint as IPEndPoint)?.Port ?? 0))
        {
            case SocketAdmission.Close:
                await RefuseAsync(socket).ConfigureAwait(false);
                return;
            case SocketAdmission.HandOff:
                await HandOffAsync(socket).ConfigureAwait(false);
                return;
        }

        _open.TryAdd(socket, 0);
        var handOff = false;
        var sessionRan = false;
        BareSocket? bare = null;
        try
        {
            var (request, ended) = await UpgradeHeadPeek.PeekAsync(socket, _handler.Path, _handler.HandshakeTimeout).ConfigureAwait(false);

            if (request is null)
            {
                // Not an upgrade of the path: Kestrel reads it from the first byte; a peer gone before any byte is closed.
                handOff = !ended;
            }
            else
            {
                bare = new BareSocket(socket, "bare-" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture));
                var upgrading = _handler.UpgradeAsync(bare, request);

                // This method waits for the whole session: the parsed head (its headers, a few hundred bytes
                // of strings) must not stay alive in its state for that long.
                request = null;
                var outcome = await upgrading.ConfigureAwait(false);
                handOff = outcome.HandOff;
                if (outcome.Session is { } session)
                {
                    sessionRan = true;
                    await session.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The head did not arrive within Broadcast:Limits:HandshakeTimeout: closed, as Kestrel does.
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer reset the connection, or shutdown aborted it.
        }
        catch (Exception ex)
        {
            SocketLog.ServeFailed(_logger, ex);
        }
        finally
        {
            _handler.Leave(remote, sessionRan);
            if (!handOff)
            {
                if (bare is not null)
                {
                    bare.Close();
                }
                else
                {
                    BareSocket.Close(socket);
                }
            }

            Closed(socket);
        }

        if (handOff)
        {
            await HandOffAsync(socket).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes a socket refused before a byte was read with FIN, as Kestrel closes one its middleware returned
    /// from, not with a reset: closing it at once, with the request it sent unread (or arriving just after),
    /// would reset it and the client would read an error instead of the end. So it sends FIN, reads and
    /// drops what comes until the client closes too, for a moment at most; when many linger at once (a
    /// flood), the rest are closed at once, reset or not.
    /// </summary>
    private async Task RefuseAsync(Socket socket)
    {
        if (Interlocked.Increment(ref _lingering) > MaxLingering)
        {
            Interlocked.Decrement(ref _lingering);
            socket.Dispose();
            return;
        }

        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var linger = new CancellationTokenSource(LingerTime);
            var scratch = new byte[512];
            while (await socket.ReceiveAsync(scratch, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
                // Dropped: nothing of a refused socket is read.
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Reset, or still talking after the linger time: closed all the same.
        }
        finally
        {
            Interlocked.Decrement(ref _lingering);
            socket.Dispose();
        }
    }

    /// <summary>Gives the socket to Kestrel, as its own transport would have accepted it.</summary>
    private async Task HandOffAsync(Socket socket)
    {
        ConnectionContext context;
        try
        {
            context = _contexts.Create(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return;
        }

        try
        {
            await _handedOff.Writer.WriteAsync(context).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Unbound meanwhile: Kestrel accepts nothing more.
            context.Abort();
            await context.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Closed(Socket socket)
    {
        _open.TryRemove(socket, out _);
        if (Volatile.Read(ref _stopping) != 0 && _open.IsEmpty)
        {
            _allClosed.TrySetResult();
        }
    }
}
