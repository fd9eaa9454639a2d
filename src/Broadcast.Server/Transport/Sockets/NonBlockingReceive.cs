using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// One <c>recv(2)</c> with <c>MSG_DONTWAIT</c> (and <c>MSG_PEEK</c> when asked): what the kernel already holds,
/// taken (or looked at) at once, never a wait. A new connection's upgrade head has nearly always arrived by
/// the time it is served, so reading it this way skips what an asynchronous receive costs per connection
/// (a readiness wait through the socket engine, a hop to the thread pool, a suspended state machine) and
/// never throws for a peer that is already gone.
/// </summary>
/// <remarks>Linux only (<see cref="Supported"/>); elsewhere the callers use the socket's asynchronous receive.</remarks>
internal static class NonBlockingReceive
{
    /// <summary>Nothing to read yet: wait for it the ordinary way.</summary>
    public const int WouldBlock = -1;

    /// <summary>The connection failed (reset) or the socket is closed.</summary>
    public const int Failed = -2;

    private const int PeekFlag = 0x2;
    private const int DontWait = 0x40;
    private const int Interrupted = 4;
    private const int Again = 11;

    /// <summary>True where the system call is available (Linux: its flag values and errno numbers are the ones above).</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux();

    /// <summary>
    /// Bytes received into <paramref name="buffer"/> (left in the kernel's buffer when <paramref name="peek"/>);
    /// 0 when the peer closed its side; <see cref="WouldBlock"/> or <see cref="Failed"/>.
    /// </summary>
    public static int Receive(Socket socket, Span<byte> buffer, bool peek)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Held across the call, so a concurrent close cannot hand the descriptor's number to another socket meanwhile.
            handle.DangerousAddRef(ref added);
            while (true)
            {
                var received = ReceiveNative(handle.DangerousGetHandle(), ref MemoryMarshal.GetReference(buffer), buffer.Length, DontWait | (peek ? PeekFlag : 0));
                if (received >= 0)
                {
                    return (int)received;
                }

                var error = Marshal.GetLastPInvokeError();
                if (error != Interrupted)
                {
                    return error == Again ? WouldBlock : Failed;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return Failed;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static extern nint ReceiveNative(nint socket, ref byte buffer, nint length, int flags);
}
