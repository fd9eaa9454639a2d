using System.Net.WebSockets;
using System.Text;

namespace Broadcast.Client;

/// <summary><see cref="IClientTransport"/> over <see cref="ClientWebSocket"/>.</summary>
internal sealed class WebSocketTransport : IClientTransport
{
    public const string SubProtocol = "broadcast.v2";

    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly MemoryStream _message = new();

    public async Task ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        _socket.Options.AddSubProtocol(SubProtocol);
        await _socket.ConnectAsync(uri, cancellationToken);
        if (_socket.SubProtocol != SubProtocol)
        {
            // A server without broadcast.v2 accepts the upgrade as a legacy connection; talking v2 to it
            // would only produce errors, so fail the attempt with a clear reason.
            _socket.Abort();
            throw new WebSocketException(WebSocketError.UnsupportedProtocol, $"The server at {uri} did not accept the subprotocol {SubProtocol}.");
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken) =>
        _socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).AsTask();

    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        _message.SetLength(0);
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    // Complete the handshake the server started, so it sees a clean close.
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                }

                return null;
            }

            _message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    // The protocol has no binary frames; skip rather than misread one.
                    _message.SetLength(0);
                    continue;
                }

                return Encoding.UTF8.GetString(_message.GetBuffer(), 0, (int)_message.Length);
            }
        }
    }

    public Task CloseAsync(CancellationToken cancellationToken) =>
        _socket.State == WebSocketState.Open
            ? _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken)
            : Task.CompletedTask;

    public void Abort() => _socket.Abort();

    public void Dispose()
    {
        _socket.Dispose();
        _message.Dispose();
    }
}
