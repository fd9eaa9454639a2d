using System.Net.WebSockets;
using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Protocol;

/// <summary>
/// permessage-deflate (RFC 7692) with <c>Broadcast:Compression:Enabled</c>: negotiated without context
/// takeover, publications compressed once and sent with RSV1 to compressing clients (plain to the others),
/// compressed client messages inflated within the message limit, and RSV1 refused where it does not belong.
/// </summary>
public class CompressionTests : IAsyncLifetime
{
    private const int Limit = 4096;
    private const string Offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    private const string Accepted = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n";

    private RunningServer _server = null!;
    private TestClient _publisher = null!;
    private TestClient _watcher = null!;

    /// <summary>The transport under test (<c>Broadcast:WebSocketStack</c>): here Kestrel's; the subclass runs the default one.</summary>
    protected virtual string Transport => "Kestrel";

    /// <summary>True where the server's own frame parser reads the client's frames (the connection-level stack).</summary>
    protected virtual bool OwnFrameParser => false;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:WebSocketStack"] = Transport,
            ["Broadcast:MaxMessageBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Broadcast:Compression:Enabled"] = "true",
        });
        _publisher = await _server.ConnectAsync();
        _watcher = await _server.ConnectAsync();
        await _server.WaitForConnectionCountAsync(2);
    }

    public async Task DisposeAsync()
    {
        await _publisher.DisposeAsync();
        await _watcher.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string LongText(string tag) => tag + ": " + string.Concat(Enumerable.Repeat("a publication long enough to be worth compressing, ", 20));

    private Task<RawWebSocket> ConnectCompressingAsync() => RawWebSocket.ConnectAsync(_server.BaseAddress, extraHeaders: Offer);

    [Fact]
    public async Task A_compressing_client_gets_a_long_publication_compressed_and_a_plain_client_gets_the_same_json_plain()
    {
        await using var compressing = await ConnectCompressingAsync();
        await using var plain = await RawWebSocket.ConnectAsync(_server.BaseAddress);
        Assert.Contains(Accepted, compressing.ResponseHead, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", plain.ResponseHead, StringComparison.OrdinalIgnoreCase);
        await _server.WaitForConnectionCountAsync(4);

        var text = LongText("shared");
        await _publisher.SendMessageAsync(text);
        var packed = await compressing.ReceiveFrameAsync();
        var unpacked = await plain.ReceiveFrameAsync();
        Assert.NotNull(packed);
        Assert.NotNull(unpacked);
        Assert.Equal(RawWebSocket.Text, packed.Opcode);
        Assert.True(packed.Compressed);
        Assert.False(unpacked.Compressed);
        Assert.True(packed.Payload.Length < unpacked.Payload.Length / 2);

        // Byte for byte the frame a plain client gets: the same encoding, only compressed.
        Assert.Equal(unpacked.Payload, ClientDeflate.Inflate(packed.Payload));
        Assert.Equal(text, System.Text.Json.JsonDocument.Parse(unpacked.Payload).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_short_publication_goes_uncompressed_even_to_a_compressing_client()
    {
        await using var compressing = await ConnectCompressingAsync();
        await _server.WaitForConnectionCountAsync(3);
        await _publisher.SendMessageAsync("short");
        var frame = await compressing.ReceiveFrameAsync();
        Assert.NotNull(frame);
        Assert.False(frame.Compressed);
        Assert.Equal("short", System.Text.Json.JsonDocument.Parse(frame.Payload).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_compressed_client_message_whole_or_in_fragments_reaches_the_others()
    {
        await using var compressing = await ConnectCompressingAsync();
        var text = LongText("from a compressing client");
        await compressing.SendFrameAsync(RawWebSocket.Text, ClientDeflate.Compress(Utf8("{\"message\":\"" + text + "\"}")), rsv: 0b100);
        Assert.Equal(text, (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());

        // RSV1 on the first frame only: the continuation carries the rest of the compressed bytes.
        var compressed = ClientDeflate.Compress(Utf8("{\"message\":\"fragmented " + text + "\"}"));
        await compressing.SendFrameAsync(RawWebSocket.Text, compressed.AsMemory(0, 10), fin: false, rsv: 0b100);
        await compressing.SendFrameAsync(RawWebSocket.Continuation, compressed.AsMemory(10));
        Assert.Equal("fragmented " + text, (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_small_frame_that_inflates_past_the_message_limit_closes_with_1009()
    {
        await using var compressing = await ConnectCompressingAsync();
        var bomb = ClientDeflate.Compress(Utf8("{\"message\":\"" + new string('z', 1024 * 1024) + "\"}"));
        Assert.True(bomb.Length < Limit);
        await compressing.SendFrameAsync(RawWebSocket.Text, bomb, rsv: 0b100);
        Assert.Equal(1009, (await compressing.ReceiveCloseAsync())?.CloseCode);
        await AssertOthersUnaffectedAsync();
    }

    [Fact]
    public async Task Invalid_compressed_data_closes_with_1007()
    {
        await using var compressing = await ConnectCompressingAsync();

        // BTYPE 11 is reserved in DEFLATE: no inflater accepts it.
        await compressing.SendFrameAsync(RawWebSocket.Text, (byte[])[0xFF, 0xFF, 0xFF, 0xFF], rsv: 0b100);
        var close = await compressing.ReceiveCloseAsync();

        // Kestrel's stack: the runtime's WebSocket drops the connection without a close frame (documented in docs/protocol.md).
        Assert.Equal(OwnFrameParser ? 1007 : null, close?.CloseCode);
        await AssertOthersUnaffectedAsync();
    }

    [Fact]
    public async Task A_message_that_inflates_to_exactly_the_limit_is_accepted()
    {
        await using var compressing = await ConnectCompressingAsync();
        var text = new string('y', Limit - 14);
        await compressing.SendFrameAsync(RawWebSocket.Text, ClientDeflate.Compress(Utf8("{\"message\":\"" + text + "\"}")), rsv: 0b100);
        Assert.Equal(text, (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    public static TheoryData<string> MisplacedRsv1 => new()
    {
        "rsv1 without negotiation",
        "rsv1 on a continuation",
        "rsv1 on a ping",
    };

    [Theory]
    [MemberData(nameof(MisplacedRsv1))]
    public async Task RSV1_where_it_does_not_belong_closes_with_1002(string violation)
    {
        await using var raw = violation == "rsv1 without negotiation" ? await RawWebSocket.ConnectAsync(_server.BaseAddress) : await ConnectCompressingAsync();
        var compressed = ClientDeflate.Compress(Utf8("{\"message\":\"x\"}"));
        switch (violation)
        {
            case "rsv1 without negotiation":
                await raw.SendFrameAsync(RawWebSocket.Text, compressed, rsv: 0b100);
                break;
            case "rsv1 on a continuation":
                await raw.SendFrameAsync(RawWebSocket.Text, compressed.AsMemory(0, 2), fin: false, rsv: 0b100);
                await raw.SendFrameAsync(RawWebSocket.Continuation, compressed.AsMemory(2), rsv: 0b100);
                break;
            default:
                await raw.SendFrameAsync(RawWebSocket.Ping, Utf8("x"), rsv: 0b100);
                if (!OwnFrameParser)
                {
                    // Kestrel's stack reads frames with the runtime's WebSocket, which answers such a ping
                    // like any other once deflate is negotiated (documented in docs/protocol.md).
                    Assert.Equal(RawWebSocket.Pong, (await raw.ReceiveFrameAsync())?.Opcode);
                    return;
                }

                break;
        }

        Assert.Equal(1002, (await raw.ReceiveCloseAsync())?.CloseCode);
        await AssertOthersUnaffectedAsync();
    }

    [Fact]
    public async Task An_offer_the_server_cannot_honour_is_declined_and_the_next_one_taken()
    {
        var declined = await RawWebSocket.UpgradeResponseAsync(_server.BaseAddress, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n");
        Assert.StartsWith("HTTP/1.1 101", declined, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", declined, StringComparison.OrdinalIgnoreCase);

        var second = await RawWebSocket.UpgradeResponseAsync(_server.BaseAddress, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=15\r\n");
        Assert.Contains("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15\r\n", second, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_runtime_client_negotiating_deflate_receives_and_sends_compressed_messages()
    {
        // An independent implementation (.NET's ClientWebSocket), asking for context takeover: the server's answer makes it do without.
        await using var library = await TestClient.ConnectAsync(_server.WebSocketUri, options =>
        {
            options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            options.CollectHttpResponseDetails = true;
        });
        var extensions = Assert.Single(library.Socket.HttpResponseHeaders!, header => string.Equals(header.Key, "Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("client_no_context_takeover", string.Join(",", extensions.Value), StringComparison.Ordinal);
        await _server.WaitForConnectionCountAsync(3);

        var text = LongText("to the library");
        await _publisher.SendMessageAsync(text);
        Assert.Equal(text, (await library.ReceiveJsonAsync()).GetProperty("message").GetString());
        Assert.Equal(text, (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());

        var reply = LongText("from the library");
        await library.SendMessageAsync(reply);
        await library.SendMessageAsync(reply + " again");
        Assert.Equal(reply, (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
        Assert.Equal(reply + " again", (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    /// <summary>The others are unaffected: a broadcast still goes through after the offender is gone.</summary>
    private async Task AssertOthersUnaffectedAsync()
    {
        await _server.WaitForConnectionCountAsync(2);
        var text = "still serving " + Guid.NewGuid();
        await _publisher.SendMessageAsync(text);
        Assert.Equal(text, (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }
}

/// <summary>The same cases on the connection-level transport (the default), whose frame parser and inflater are the server's own.</summary>
public sealed class ConnectionLevelCompressionTests : CompressionTests
{
    protected override string Transport => "Connection";

    protected override bool OwnFrameParser => true;
}
