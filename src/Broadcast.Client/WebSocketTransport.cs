using System.Net.WebSockets;
using System.Text;

namespace Broadcast.Client;

/// <summary>
/// <see cref="IClientTransport"/> over <see cref="ClientWebSocket"/>. With <see cref="ClientEncoding.MessagePack"/> the
/// frames on the wire are MessagePack in binary frames (<c>broadcast.v2.msgpack</c>): the client's JSON frames are
/// converted on the way out and the server's on the way in, so the rest of the client reads one format.
/// </summary>
internal sealed class WebSocketTransport(ClientEncoding encoding = ClientEncoding.Json) : IClientTransport
{
    public const string SubProtocol = "broadcast.v2";

    public const string MessagePackSubProtocol = "broadcast.v2.msgpack";

    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly MemoryStream _message = new();

    private string Offered => encoding == ClientEncoding.MessagePack ? MessagePackSubProtocol : SubProtocol;

    public async Task ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        _socket.Options.AddSubProtocol(Offered);
        await _socket.ConnectAsync(uri, cancellationToken);
        if (_socket.SubProtocol != Offered)
        {
            // A server without broadcast.v2 accepts the upgrade as a legacy connection; talking v2 to it
            // would only produce errors, so fail the attempt with a clear reason.
            _socket.Abort();
            throw new WebSocketException(WebSocketError.UnsupportedProtocol, $"The server at {uri} did not accept the subprotocol {Offered}.");
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken) =>
        encoding == ClientEncoding.MessagePack
            ? _socket.SendAsync(MessagePackFrames.FromJson(utf8).AsMemory(), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).AsTask()
            : _socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).AsTask();

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
                var binary = result.MessageType == WebSocketMessageType.Binary;
                if (binary != (encoding == ClientEncoding.MessagePack))
                {
                    // Not this encoding's kind of frame; skip rather than misread one.
                    _message.SetLength(0);
                    continue;
                }

                if (binary)
                {
                    return MessagePackFrames.ToJson(_message.GetBuffer().AsMemory(0, (int)_message.Length)) is { } json ? json : await ReceiveAsync(cancellationToken);
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
