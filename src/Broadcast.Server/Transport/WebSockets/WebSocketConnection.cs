using System.Net;
using System.Net.WebSockets;

namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// A connection whose WebSocket ASP.NET Core accepted: messages read from the runtime's <see cref="WebSocket"/>
/// within the size and fragment limits, frames written by the <see cref="WebSocketWriter"/>.
/// </summary>
internal sealed class WebSocketConnection : IClientConnection
{
    private readonly WebSocketWriter _writer;
    private readonly MessageLimits _limits;
    private readonly MessageBuffer _message;
    private readonly Task _writing;
    private int _fragments;

    public WebSocketConnection(WebSocketWriter writer, MessageLimits limits)
    {
        _writer = writer;
        _limits = limits;
        _message = new MessageBuffer(limits.MaxBytes);
        // The writer sends the close frame once the queue is done, while this side may still be reading.
        _writing = writer.RunWriterAsync();
    }

    public long Id => _writer.Id;

    public IPAddress? RemoteAddress => _writer.RemoteAddress;

    public string Transport => TransportNames.WebSocket;

    public IFrameSink Frames => _writer;

    public CloseRequest? CloseRequest => _writer.CloseRequest;

    public int? PeerCloseStatus => (int?)_writer.Socket.CloseStatus;

    public Task WhenWrittenAsync() => _writing;

    public async ValueTask<ReceivedMessage> ReceiveAsync()
    {
        var socket = _writer.Socket;

        // The previous message was read by its handler: its memory may go.
        _message.Reset();
        var bytes = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result;

            // Set when the zero-byte peek below saw a frame that does not end the message: it consumed that
            // frame if it was empty, or the read after it continues it. Either way the frame counts once.
            var peekedFragment = false;
            if (_message.Length == 0)
            {
                // Between messages, wait for data with a zero-byte read, so an idle connection holds no
                // receive buffer: the buffer is rented only once a message starts to arrive. The peek
                // already answers a close, or an empty message (a frame with no payload).
                result = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType != WebSocketMessageType.Close && !(result.EndOfMessage && result.Count == 0))
                {
                    peekedFragment = !result.EndOfMessage;
                    result = await socket.ReceiveAsync(_message.GetFreeSpace(), CancellationToken.None).ConfigureAwait(false);
                }
            }
            else
            {
                result = await socket.ReceiveAsync(_message.GetFreeSpace(), CancellationToken.None).ConfigureAwait(false);
            }

            bytes += result.Count;
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // The client answered our close, or started its own: then echo its code, as
                // RFC 6455 asks (the writer sends the reply).
                var serverClose = _writer.CloseRequest;
                _writer.Close(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "", drainFirst: false);
                _message.Reset();
                return ReceivedMessage.Ended(serverClose?.Label ?? "client_closed", bytes);
            }

            _message.Advance(result.Count);

            // Frames that did not end the message: the one just read, and the peeked one before it unless the
            // read carried that frame's own payload (bytes right after a peek are taken to be). A message of
            // empty frames only is peeked frame by frame, so without the peeked ones only every other frame
            // would count. Exact for empty fragments, which are what the bound is for; at most one off otherwise.
            var openFragments = result.EndOfMessage ? 0 : 1 + (peekedFragment && result.Count == 0 ? 1 : 0);
            if (openFragments > 0 && (_fragments += openFragments) > _limits.MaxFragments && !_writer.IsClosing)
            {
                // Empty fragments never reach the byte limit; bound their number instead.
                _message.Reset();
                _writer.Close(WebSocketCloseStatus.PolicyViolation, "too many fragments in one message", drainFirst: false);
                return new ReceivedMessage(ReceiveOutcome.TooManyFragments, BytesReceived: bytes);
            }

            if (result.EndOfMessage)
            {
                _fragments = 0;
            }

            if (_writer.IsClosing)
            {
                // Closing: discard whatever still arrives until the client answers the close.
                _message.Reset();
                continue;
            }

            if (_message.IsOverLimit)
            {
                _message.Reset();
                _writer.Close(WebSocketCloseStatus.MessageTooBig, $"message exceeds {_limits.MaxBytes} bytes", drainFirst: false);
                return new ReceivedMessage(ReceiveOutcome.TooBig, BytesReceived: bytes);
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            return new ReceivedMessage(ReceiveOutcome.Message, _message.WrittenMemory, result.MessageType == WebSocketMessageType.Binary, bytes);
        }
    }

    public void Dispose()
    {
        _message.Dispose();
        _writer.DisposeResources();
        _writer.Socket.Dispose();
    }
}
