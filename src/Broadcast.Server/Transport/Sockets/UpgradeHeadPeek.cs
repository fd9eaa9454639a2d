using System.Buffers;
using System.Net.Sockets;
using Broadcast.Server.Transport.RawWebSockets;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// Looks at a new connection's first request without consuming a byte of it (<see cref="SocketFlags.Peek"/>),
/// so that whatever it is not ours goes to Kestrel exactly as it arrived. Waits for the first bytes with a
/// zero-byte receive (no buffer held) when they are not there already. A head that arrives in pieces is peeked again after short, growing
/// pauses: the kernel cannot wake a peek for "more than what is there", and clients send a head in one go.
/// </summary>
internal static class UpgradeHeadPeek
{
    /// <summary>The first peek's buffer: an ordinary upgrade head is a few hundred bytes.</summary>
    private const int FirstPeekBytes = 4096;

    /// <summary>Room for the largest head Kestrel accepts, and a byte more to see that one is larger.</summary>
    private const int LargestPeekBytes = UpgradeRequestReader.MaxHeadBytes + 8;

    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The upgrade request when the head is one of <paramref name="path"/>; otherwise null with
    /// <paramref name="ended"/> telling whether the peer went (or sent nothing) before any byte arrived.
    /// Throws <see cref="OperationCanceledException"/> when <paramref name="timeout"/> (the handshake timeout) passes first.
    /// </summary>
    public static ValueTask<(UpgradeRequest? Request, bool Ended)> PeekAsync(Socket socket, string path, TimeSpan timeout)
    {
        if (NonBlockingReceive.Supported)
        {
            // A client sends its head with the connect: by the time the socket is served it has nearly always
            // arrived, and is read here without a wait, a timer or a suspended state machine.
            var buffer = ArrayPool<byte>.Shared.Rent(FirstPeekBytes);
            try
            {
                var peeked = NonBlockingReceive.Receive(socket, buffer, peek: true);
                if (peeked is 0 or NonBlockingReceive.Failed)
                {
                    return new((null, true));
                }

                if (peeked > 0)
                {
                    switch (UpgradeRequestReader.Inspect(new ReadOnlySequence<byte>(buffer, 0, peeked), path, out var request))
                    {
                        case UpgradeHeadDecision.Upgrade:
                            return new((request, false));
                        case UpgradeHeadDecision.NotOurs:
                            return new((null, false));
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return WaitAndPeekAsync(socket, path, timeout);
    }

    /// <summary>The head is not (all) there yet: wait for it, within the handshake timeout.</summary>
    private static async ValueTask<(UpgradeRequest? Request, bool Ended)> WaitAndPeekAsync(Socket socket, string path, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        var cancel = timer.Token;
        await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancel).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(FirstPeekBytes);
        var pause = TimeSpan.FromMilliseconds(1);
        try
        {
            while (true)
            {
                var peeked = await socket.ReceiveAsync(buffer, SocketFlags.Peek, cancel).ConfigureAwait(false);
                if (peeked == 0)
                {
                    return (null, true);
                }

                switch (UpgradeRequestReader.Inspect(new ReadOnlySequence<byte>(buffer, 0, peeked), path, out var request))
                {
                    case UpgradeHeadDecision.Upgrade:
                        return (request, false);
                    case UpgradeHeadDecision.NotOurs:
                        return (null, false);
                }

                if (peeked == buffer.Length && buffer.Length < LargestPeekBytes)
                {
                    // The buffer is full and the head goes on: peek again with room for all of it.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(LargestPeekBytes);
                    continue;
                }

                await Task.Delay(pause, cancel).ConfigureAwait(false);
                pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
