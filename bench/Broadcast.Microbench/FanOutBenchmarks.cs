using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using Broadcast.Server;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol.Legacy;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Microbench;

/// <summary>
/// The broadcast hot path in steady state: one publication handed to every subscriber of a channel
/// (each subscription queues the shared frame), and the flush rounds that frame the queued bytes and
/// write them, here to streams that discard them. Allocations are counted for the whole process, so the
/// flusher's work on the thread pool is included: the goal is zero bytes per delivery. Each iteration is a
/// burst of 128 publications (a longer unpaced burst would measure queue growth, not the steady state;
/// `-- alloc-trace` runs a paced steady state and names any type that allocates).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(128)]
public class FanOutBenchmarks
{
    private readonly DateTime _timestamp = new(2026, 11, 26, 10, 15, 30, DateTimeKind.Utc);
    private WebApplication? _app;
    private ChannelHub _hub = new();
    private IChannelEncoding _encoding = new LegacyEncoding();
    private Broadcast.Server.Transport.FrameCompression? _compression;
    private Publication[] _publications = [];
    private long _offset;
    private int _next;

    [Params(100, 1000)]
    public int Subscribers { get; set; }

    [Params(100, 1024)]
    public int MessageBytes { get; set; }

    /// <summary>Every subscriber negotiated permessage-deflate: frames of 256 bytes or more go out compressed (the shared compressed bytes, built in setup like the encoded frame).</summary>
    [Params(false, true)]
    public bool Compressed { get; set; }

    /// <summary>Matches the invocation count; the paced allocation trace prepares more at a time.</summary>
    public int PublicationsPerIteration { get; set; } = 128;

    /// <summary>The subscribers' subprotocol: none (the original protocol), <c>broadcast.v2</c> or <c>broadcast.v2.msgpack</c>.</summary>
    public string? Subprotocol { get; set; }

    /// <summary>What each publication carries: a message of <see cref="MessageBytes"/>, or a JSON object of about that size as <c>data</c>.</summary>
    public PayloadKind Payload { get; set; } = PayloadKind.Message;

    /// <summary>
    /// Build each publication's frame before it is delivered (the benchmark measures the fan-out alone), or leave it
    /// to the first recipient, as the server does (the payload trace: the encoding's cost is then in the figures, once).
    /// </summary>
    public bool PreEncode { get; set; } = true;

    [GlobalSetup]
    public void Setup()
    {
        _app = BroadcastServer.Build(["--urls", "http://127.0.0.1:0"]);
        var transport = _app.Services.GetRequiredService<WebSocketTransport>();
        var dialect = _app.Services.GetRequiredService<ClientDialects>().Choose(Subprotocol is null ? [] : [Subprotocol]);
        _encoding = dialect.Encoding;
        _hub = _app.Services.GetRequiredService<ChannelHub>();
        for (var i = 0; i < Subscribers; i++)
        {
            var sink = new DiscardingStream();
            var socket = WebSocket.CreateFromStream(sink, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
            var writer = transport.CreateWriter(i, socket, new SharedWriteStream(sink), remoteAddress: null, queueCapacity: 1_000_000, compressed: Compressed);
            _compression ??= writer.Compression;
            IFrameSink frames = dialect.IsBinary ? new BinaryDialectFrameSink(writer, dialect) : writer;
            var subscription = new ChannelSubscription(new ClientSession(i, "node", frames, null, dialect), "events", wantsPresence: false);
            _hub.Add(subscription);
            subscription.GoLive(ReadOnlyMemory<byte>.Empty, new StreamPosition("epoch", 0), []);
        }
    }

    /// <summary>Publications for one iteration, with growing offsets (a subscription skips offsets it has sent) and their frames built.</summary>
    [IterationSetup]
    public void PreparePublications()
    {
        var payload = Payload == PayloadKind.Data ? PublicationPayload.Data(JsonObjectOf(MessageBytes)) : PublicationPayload.Message(Filled(MessageBytes));
        _publications = new Publication[PublicationsPerIteration];
        for (var i = 0; i < _publications.Length; i++)
        {
            _publications[i] = new Publication("events", "epoch", ++_offset, "http", _timestamp, payload);
            if (PreEncode)
            {
                _ = _publications[i].EncodedBy(_encoding);
            }

            if (_compression is { } compression)
            {
                // Once per publication, as its first compressing recipient would: not part of the per-delivery cost.
                _ = _publications[i].CompressedBy(_encoding, compression.Compress);
            }
        }

        _next = 0;
    }

    /// <summary>One publication to every subscriber (time and bytes are per publication: divide by Subscribers per delivery).</summary>
    [Benchmark]
    public void DeliverToAll() => _hub.Deliver(_publications[_next++]);

    /// <summary>The frame a subscriber receives for the first publication of the iteration.</summary>
    public int FrameBytes => _publications.Length == 0 ? 0 : _publications[0].EncodedBy(_encoding).Length;

    private static byte[] Filled(int bytes)
    {
        var message = new byte[bytes];
        message.AsSpan().Fill((byte)'x');
        return message;
    }

    /// <summary>An object like an application's (numbers, strings, an array, a nested object, a boolean, null) of about <paramref name="bytes"/> bytes of JSON.</summary>
    public static byte[] JsonObjectOf(int bytes)
    {
        var items = new List<object>();
        var json = Array.Empty<byte>();
        for (var i = 0; json.Length < bytes; i++)
        {
            items.Add(new { sku = $"item-{i:D4}", qty = i % 7, price = 9.5 + i, tags = new[] { "a", "b" } });
            json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { order = 1234, customer = new { id = 42, name = "Ana", vip = true }, note = (string?)null, items });
        }

        return json;
    }

    [GlobalCleanup]
    public void Cleanup() => _app?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Accepts every write at once and keeps nothing, like a socket with room to spare.</summary>
    private sealed class DiscardingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get => 0; set { } }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => 0;

        public override void SetLength(long value)
        {
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
