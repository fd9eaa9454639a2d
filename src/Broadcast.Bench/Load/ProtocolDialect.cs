using System.Text;
using Broadcast.Bench.Cli;
using Broadcast.Bench.Net;

namespace Broadcast.Bench.Load;

/// <summary>
/// What differs between the protocols the tool speaks: the subprotocol, the frames sent right after the
/// upgrade, the envelope around a published text and the keep-alive a client must send. Every protocol
/// delivers the text inside <c>"message":"…"</c>, which is all the receive path looks for.
/// </summary>
public sealed class ProtocolDialect
{
    // SignalR's JSON protocol ends every message with the record separator.
    private const char RecordSeparator = '\u001e';

    private readonly byte[] _publishPrefix;
    private readonly byte[] _publishSuffix;
    private readonly byte[][] _setupFrames;

    public ProtocolDialect(WireProtocol protocol, string channel)
    {
        Protocol = protocol;
        switch (protocol)
        {
            case WireProtocol.V2:
                SubProtocol = "broadcast.v2";
                _setupFrames = [Utf8("{\"type\":\"hello\"}"), Utf8($"{{\"type\":\"subscribe\",\"id\":\"s\",\"channel\":\"{channel}\"}}")];
                _publishPrefix = Utf8($"{{\"type\":\"publish\",\"channel\":\"{channel}\",\"message\":\"");
                _publishSuffix = Utf8("\"}");
                break;
            case WireProtocol.SignalR:
                _setupFrames = [Utf8("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator)];
                _publishPrefix = Utf8("{\"type\":1,\"target\":\"Broadcast\",\"arguments\":[\"");
                _publishSuffix = Utf8("\"]}" + RecordSeparator);
                // The hub drops a client it has not heard from for 30 s (ClientTimeoutInterval).
                KeepAliveFrame = Utf8("{\"type\":6}" + RecordSeparator);
                break;
            default:
                _setupFrames = [];
                _publishPrefix = Utf8("{\"message\":\"");
                _publishSuffix = Utf8("\"}");
                break;
        }
    }

    public WireProtocol Protocol { get; }

    public string? SubProtocol { get; }

    /// <summary>A frame to send every few seconds so the server keeps the connection, or null.</summary>
    public byte[]? KeepAliveFrame { get; }

    /// <summary>Sends what the protocol needs before the connection may publish or receive.</summary>
    public void Setup(RawWebSocket socket)
    {
        foreach (var frame in _setupFrames)
        {
            socket.SendFrame(0x1, frame);
        }
    }

    /// <summary>A publish frame's payload with <see cref="TextOffset"/> pointing at the text to stamp.</summary>
    public byte[] CreatePublishPayload(int publisher, int textBytes)
    {
        var payload = new byte[_publishPrefix.Length + textBytes + _publishSuffix.Length];
        _publishPrefix.CopyTo(payload, 0);
        MessageText.Initialize(payload.AsSpan(_publishPrefix.Length, textBytes), publisher);
        _publishSuffix.CopyTo(payload, _publishPrefix.Length + textBytes);
        return payload;
    }

    public int TextOffset => _publishPrefix.Length;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
