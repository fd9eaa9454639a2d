using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Broadcast.Server.Transport.RawWebSockets;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// An accepted socket the server serves itself (never a Kestrel connection): what a WebSocket upgrade
/// answered on it and the connection after it read, write and close.
/// </summary>
internal sealed class BareSocket(Socket socket, string id)
{
    private SocketPipeReader? _input;
    private int _closed;

    /// <summary>For the log and the upgrade checks' context (Kestrel's connections have theirs).</summary>
    public string Id => id;

    public Socket Socket => socket;

    // The socket keeps both once asked: not copied here.
    public IPEndPoint? RemoteEndPoint => socket.RemoteEndPoint as IPEndPoint;

    public IPEndPoint? LocalEndPoint => socket.LocalEndPoint as IPEndPoint;

    /// <summary>The bytes after the request head: made once the head is consumed.</summary>
    public SocketPipeReader Input => _input ??= new SocketPipeReader(socket);

    /// <summary>Consumes the first <paramref name="count"/> bytes (the request head, already received by the kernel: it was peeked).</summary>
    public ValueTask DiscardAsync(int count)
    {
        if (NonBlockingReceive.Supported)
        {
            // Peeked, so the kernel holds all of it: taken at once, without an asynchronous receive.
            Span<byte> scratch = stackalloc byte[1024];
            while (count > 0)
            {
                var read = NonBlockingReceive.Receive(socket, scratch[..Math.Min(count, scratch.Length)], peek: false);
                if (read == NonBlockingReceive.WouldBlock)
                {
                    break;
                }

                if (read <= 0)
                {
                    return ValueTask.FromException(new SocketException((int)SocketError.ConnectionReset));
                }

                count -= read;
            }

            if (count == 0)
            {
                return ValueTask.CompletedTask;
            }
        }

        return DiscardSlowlyAsync(count);
    }

    private async ValueTask DiscardSlowlyAsync(int count)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Min(count, 16 * 1024));
        try
        {
            while (count > 0)
            {
                var read = await socket.ReceiveAsync(scratch.AsMemory(0, Math.Min(count, scratch.Length)), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> whole (an HTTP answer, a frame batch).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        if (NonBlockingSend.Supported)
        {
            // An HTTP answer fits the new socket's buffer: one system call, and the socket never makes (and
            // then keeps, for the connection's whole life) the event args of an asynchronous send.
            var sent = NonBlockingSend.Send(socket, bytes.Span);
            if (sent < 0)
            {
                return ValueTask.FromException(new SocketException((int)SocketError.ConnectionReset));
            }

            bytes = bytes[sent..];
            if (bytes.IsEmpty)
            {
                return ValueTask.CompletedTask;
            }
        }

        return SendSlowlyAsync(bytes);
    }

    private async ValueTask SendSlowlyAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>
    /// Ends the connection now (a peer that stopped answering, a failed write); any pending receive or send
    /// ends. Shut down before it is closed, as Kestrel's abort does, so what was written still goes out.
    /// </summary>
    public void Abort() => Shut();

    /// <summary>Ends the connection in order: what was written goes out, then FIN (as Kestrel closes a connection).</summary>
    public void Close()
    {
        Shut();
        _input?.Complete();
    }

    /// <summary>Shuts <paramref name="socket"/> down (FIN after what was written) and closes it.</summary>
    public static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer reset it already.
        }

        socket.Dispose();
    }

    private void Shut()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Close(socket);
        }
    }
}
