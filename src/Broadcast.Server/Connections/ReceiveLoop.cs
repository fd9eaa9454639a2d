using System.Diagnostics;
using System.Net.WebSockets;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.WebSockets;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Reads one WebSocket client's messages until it closes: bounds their size and fragments (close 1009, 1008),
/// answers the close handshake, and hands each complete message to the client's dialect.
/// </summary>
internal sealed class ReceiveLoop(IConnectionObserver metrics, IOptions<ConnectionOptions> options, IOptions<LimitsOptions> limits, ILogger<ReceiveLoop> logger)
{
    private readonly int _maxMessageBytes = options.Value.MaxMessageBytes;
    private readonly int _maxFragments = limits.Value.MaxFragmentsPerMessage;

    /// <summary>How long one connection's receive loop may run without waiting before it lets other work run.</summary>
    private static readonly TimeSpan FairnessSlice = TimeSpan.FromMilliseconds(20);

    /// <summary>Reads messages until the client closes. Returns the reason the connection ended.</summary>
    public async Task<string> RunAsync(ClientSession connection, WebSocketWriter writer)
    {
        var socket = writer.Socket;
        using var message = new MessageBuffer(_maxMessageBytes);
        var fragments = 0;
        var sliceStart = Stopwatch.GetTimestamp();
        while (true)
        {
            ValueWebSocketReceiveResult result;

            // Set when the zero-byte peek below saw a frame that does not end the message: it consumed that
            // frame if it was empty, or the read after it continues it. Either way the frame counts once.
            var peekedFragment = false;
            if (message.Length == 0)
            {
                // Between messages, wait for data with a zero-byte read, so an idle connection holds no
                // receive buffer: the buffer is rented only once a message starts to arrive. The peek
                // already answers a close, or an empty message (a frame with no payload).
                var peek = socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                if (!peek.IsCompleted)
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

                result = await peek;
                if (result.MessageType != WebSocketMessageType.Close && !(result.EndOfMessage && result.Count == 0))
                {
                    peekedFragment = !result.EndOfMessage;
                    result = await socket.ReceiveAsync(message.GetFreeSpace(), CancellationToken.None);
                }
            }
            else
            {
                result = await socket.ReceiveAsync(message.GetFreeSpace(), CancellationToken.None);
            }

            metrics.BytesReceived(result.Count);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // The client answered our close, or started its own: then echo its code, as
                // RFC 6455 asks (the writer sends the reply).
                var serverClose = writer.CloseRequest;
                writer.Close(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "", drainFirst: false);
                return serverClose?.Label ?? "client_closed";
            }

            message.Advance(result.Count);

            // Frames that did not end the message: the one just read, and the peeked one before it unless the
            // read carried that frame's own payload (bytes right after a peek are taken to be). A message of
            // empty frames only is peeked frame by frame, so without the peeked ones only every other frame
            // would count. Exact for empty fragments, which are what the bound is for; at most one off otherwise.
            var openFragments = result.EndOfMessage ? 0 : 1 + (peekedFragment && result.Count == 0 ? 1 : 0);
            if (openFragments > 0 && (fragments += openFragments) > _maxFragments && !writer.IsClosing)
            {
                // Empty fragments never reach the byte limit; bound their number instead.
                metrics.MessageRejected("too_many_fragments");
                message.Reset();
                writer.Close(WebSocketCloseStatus.PolicyViolation, "too many fragments in one message", drainFirst: false);
                continue;
            }

            if (result.EndOfMessage)
            {
                fragments = 0;
            }
            if (writer.IsClosing)
            {
                // Closing: discard whatever still arrives until the client answers the close.
                message.Reset();
                continue;
            }

            if (message.IsOverLimit)
            {
                ConnectionLog.TooBig(logger, connection.Id, _maxMessageBytes);
                metrics.MessageRejected("message_too_big");
                message.Reset();
                writer.Close(WebSocketCloseStatus.MessageTooBig, $"message exceeds {_maxMessageBytes} bytes", drainFirst: false);
                continue;
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            // Read by the dialect before the buffer is reused; answered possibly later (engine calls).
            await connection.Dialect.HandleAsync(connection, message.Written, result.MessageType == WebSocketMessageType.Binary);

            message.Reset();
        }
    }
}
