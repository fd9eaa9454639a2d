using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>
/// One <c>send(2)</c> with <c>MSG_DONTWAIT</c>, made by the flush round itself: the kernel takes what fits in the
/// socket's buffer at once and the writer never waits. It skips what <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>
/// costs per write even when it completes at once (its event args, the socket context's send queue, a value
/// task). Not <see cref="Socket.Send(ReadOnlySpan{byte}, SocketFlags, out SocketError)"/> on a non-blocking
/// socket: when the kernel takes part of a write and then refuses the rest, that reports 0 bytes sent (WouldBlock),
/// and the part already taken would be sent twice; the system call says exactly how much it took.
/// </summary>
/// <remarks>Linux only (<see cref="Supported"/>); elsewhere the connection writes with <c>SendAsync</c>.</remarks>
internal static class NonBlockingSend
{
    private const int DontWait = 0x40;
    private const int NoSignal = 0x4000;
    private const int Interrupted = 4;
    private const int WouldBlock = 11;

    /// <summary>True where the system call is available (Linux: its flag values and errno numbers are the ones above).</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux();

    /// <summary>Bytes the kernel took: 0 when the socket's buffer is full, -1 when the connection failed or the socket is closed.</summary>
    [MethodImpl(HotPath.Compile)]
    public static int Send(Socket socket, ReadOnlySpan<byte> bytes)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Held across the call, so a concurrent close cannot hand the descriptor's number to another socket meanwhile.
            handle.DangerousAddRef(ref added);
            while (true)
            {
                var sent = SendNative(handle.DangerousGetHandle(), ref MemoryMarshal.GetReference(bytes), bytes.Length, DontWait | NoSignal);
                if (sent >= 0)
                {
                    return (int)sent;
                }

                var error = Marshal.GetLastPInvokeError();
                if (error != Interrupted)
                {
                    return error == WouldBlock ? 0 : -1;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    private static extern nint SendNative(nint socket, ref byte buffer, nint length, int flags);
}
