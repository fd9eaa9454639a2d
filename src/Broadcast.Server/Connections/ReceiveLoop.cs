using System.Diagnostics;
using System.Net.Sockets;

using Broadcast.Server.Transport;

namespace Broadcast.Server.Connections;

/// <summary>
/// Reads one client's messages until its connection ends and hands each complete message to the client's
/// dialect. The transport bounds size and fragments (and closes with 1009, 1008) and answers the close
/// handshake; this loop counts and logs what it refused.
/// </summary>
internal sealed class ReceiveLoop(IConnectionObserver metrics, ILogger<ReceiveLoop> logger)
{
    /// <summary>How long one connection's receive loop may run without waiting before it lets other work run.</summary>
    private static readonly TimeSpan FairnessSlice = TimeSpan.FromMilliseconds(20);

    /// <summary>Reads messages until the client closes. Returns the reason the connection ended.</summary>
    public async Task<string> RunAsync(ClientSession session, IClientConnection connection, int maxMessageBytes)
    {
        var sliceStart = Stopwatch.GetTimestamp();
        while (true)
        {
            var wait = connection.WaitToReceiveAsync();
            var waited = !wait.IsCompleted;
            try
            {
                // Idle here: on the connection-level transport the only state held is the socket's own wait.
                // Always awaited, even when complete: that is what hands the socket's wait back for reuse.
                await wait;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                // Reset or aborted: the receive below reports the end.
            }

            if (waited)
            {
                sliceStart = Stopwatch.GetTimestamp();
            }

            var receive = connection.ReceiveAsync();
            if (!receive.IsCompleted)
            {
                sliceStart = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(sliceStart) > FairnessSlice)
            {
                // A publisher whose messages keep arriving would otherwise run here without ever giving
                // the thread back, and the flush rounds that deliver its publications would wait behind
                // it (on one core: nothing delivered for seconds). Let them run, then go on.
                await Task.Yield();
                sliceStart = Stopwatch.GetTimestamp();
            }

            var received = await receive;
            metrics.BytesReceived(received.BytesReceived);
            switch (received.Outcome)
            {
                case ReceiveOutcome.Ended:
                    return received.EndReason ?? "client_closed";
                case ReceiveOutcome.TooBig:
                    ConnectionLog.TooBig(logger, session.Id, maxMessageBytes);
                    metrics.MessageRejected("message_too_big");
                    continue;
                case ReceiveOutcome.TooManyFragments:
                    // Empty fragments never reach the byte limit; their number is bounded instead.
                    metrics.MessageRejected("too_many_fragments");
                    continue;
            }

            // Read by the dialect before the buffer is reused; answered possibly later (engine calls). In the
            // session's turn, which an action of the server on its subscriptions may hold (rarely: no wait then).
            var turn = session.Turn;
            if (!turn.Wait(0))
            {
                await turn.WaitAsync();
            }

            try
            {
                await session.Dialect.HandleAsync(session, received.Payload.Span, received.IsBinary);
            }
            finally
            {
                turn.Release();
            }
        }
    }
}
