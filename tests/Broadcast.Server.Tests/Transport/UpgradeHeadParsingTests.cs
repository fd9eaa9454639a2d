using System.Buffers;
using System.Text;
using Broadcast.Server.Transport.RawWebSockets;

namespace Broadcast.Server.Tests.Transport;

/// <summary>
/// The connection-level upgrade's own HTTP: what it takes from a peeked request head (and what it leaves to
/// Kestrel), and the 101 it answers with (RFC 6455 sections 4.2.1 and 4.2.2), byte for byte.
/// </summary>
public sealed class UpgradeHeadParsingTests
{
    private const string Path = "/ws/events";

    private const string Head =
        "GET /ws/events?access_token=abc HTTP/1.1\r\n" +
        "Host: example.test\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: keep-alive, Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Protocol: chat,\t broadcast.v2\r\n" +
        "Sec-WebSocket-Protocol:   other  \r\n" +
        "Origin: https://app.example.test\r\n" +
        "\r\n";

    [Fact]
    public void A_clean_upgrade_head_is_read_with_its_target_headers_and_length()
    {
        var decision = Inspect(Head + "\x81\x05", out var request);

        Assert.Equal(UpgradeHeadDecision.Upgrade, decision);
        Assert.NotNull(request);
        Assert.Equal("/ws/events?access_token=abc", request.RawTarget);
        Assert.Equal(Path, request.Path);
        Assert.Equal("?access_token=abc", request.Query);

        // Up to and including the blank line: what follows is the first frame.
        Assert.Equal(Head.Length, request.Length);
        Assert.Equal("example.test", request.Header("host"));
        Assert.Equal("https://app.example.test", request.Header("Origin"));

        // Repeated headers keep every value, trimmed of spaces and tabs, in order.
        Assert.Equal(["chat", "broadcast.v2", "other"], request.Subprotocols);
    }

    [Fact]
    public void A_head_in_other_spellings_and_in_pieces_is_read_the_same()
    {
        // Lower-case names, the upgrade token inside a list, a Latin-1 value, and the head split across two buffers.
        var head = "GET /ws/events HTTP/1.1\r\nhost: example.test\r\nupgrade: WebSocket\r\nconnection: keep-alive,upgrade\r\n" +
            "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nX-Name: caf\u00e9\r\n\r\n";
        var bytes = Encoding.Latin1.GetBytes(head);
        var first = new Segment(bytes.AsMemory(0, 40));
        var last = first.Append(bytes.AsMemory(40));

        var decision = UpgradeRequestReader.Inspect(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), Path, out var request);

        Assert.Equal(UpgradeHeadDecision.Upgrade, decision);
        Assert.NotNull(request);
        Assert.Equal(head.Length, request.Length);
        Assert.Equal("example.test", request.Header("Host"));
        Assert.Equal("caf\u00e9", request.Header("x-name"));
        Assert.Empty(request.Subprotocols);
    }

    [Theory]
    // Another path, or one that merely starts with ours.
    [InlineData("GET /ws/eventsX HTTP/1.1\r\nHost: h\r\n")]
    [InlineData("GET /health HTTP/1.1\r\nHost: h\r\n")]
    // Not a plain GET of HTTP/1.1 with exactly one space on each side of the target.
    [InlineData("GET /ws/events HTTP/1.0\r\nHost: h\r\n")]
    [InlineData("GET /ws/events  HTTP/1.1\r\nHost: h\r\n")]
    [InlineData("GET /ws/events x HTTP/1.1\r\nHost: h\r\n")]
    // A folded, unnamed or malformed header, or a control character in one.
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\n folded\r\n")]
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\n: no name\r\n")]
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n")]
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\nX-Thing: a\u0001b\r\n")]
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\nX-Thing: a\r")]
    // No Host, two of them, or a body.
    [InlineData("GET /ws/events HTTP/1.1\r\n")]
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\nHost: i\r\n")]
    [InlineData("GET /ws/events HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n")]
    public void Anything_but_a_clean_upgrade_of_the_path_is_left_to_Kestrel(string start)
    {
        var head = start.EndsWith('\r')
            ? start + "\r\n\r\n"
            : start + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

        Assert.Equal(UpgradeHeadDecision.NotOurs, Inspect(head, out var request));
        Assert.Null(request);
    }

    [Fact]
    public void A_head_still_arriving_needs_more()
    {
        Assert.Equal(UpgradeHeadDecision.NeedMore, Inspect(Head[..60], out _));
        Assert.Equal(UpgradeHeadDecision.NeedMore, Inspect("GET /ws/ev", out _));
    }

    [Fact]
    public void The_answer_is_101_with_the_accept_key_of_RFC_6455_and_the_chosen_subprotocol_and_extension()
    {
        var buffer = new byte[512];
        var length = RawWebSocketTransport.WriteSwitchingProtocols(buffer, "dGhlIHNhbXBsZSBub25jZQ==", "broadcast.v2", "permessage-deflate; server_no_context_takeover");

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "Sec-WebSocket-Protocol: broadcast.v2\r\n" +
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n",
            Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void Without_a_subprotocol_or_extension_the_answer_names_neither()
    {
        var buffer = new byte[512];
        var length = RawWebSocketTransport.WriteSwitchingProtocols(buffer, "dGhlIHNhbXBsZSBub25jZQ==", null, null);

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            Encoding.ASCII.GetString(buffer, 0, length));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    private static UpgradeHeadDecision Inspect(string bytes, out UpgradeRequest? request) =>
        UpgradeRequestReader.Inspect(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(bytes)), Path, out request);
}
