using System.IO.Compression;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol.Legacy;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Tests.Transport;

/// <summary>
/// The encode-once rule with compression: a publication is compressed once per encoding, and every
/// compressing subscriber queues the very same bytes; a plain subscriber queues the plain frame.
/// </summary>
public sealed class SharedCompressionTests
{
    private static readonly FrameCompression Compression = new(minBytes: 256, CompressionLevel.Fastest);

    private static Publication PublicationOf(string text) =>
        new("chat", "e", 1, "someone-else", DateTime.UtcNow, Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Every_compressing_subscriber_queues_the_same_compressed_array_and_a_plain_one_the_plain_frame()
    {
        var sinks = new[] { new RecordingSink(Compression), new RecordingSink(Compression), new RecordingSink(Compression), new RecordingSink(null) };
        var publication = PublicationOf(string.Concat(Enumerable.Repeat("compress me, ", 100)));
        foreach (var sink in sinks)
        {
            Subscribe(sink).Deliver(publication);
        }

        var compressed = sinks[..3].Select(sink => Assert.Single(sink.Frames)).ToList();
        Assert.All(compressed, frame => Assert.True(frame.Compressed));
        var first = ArrayOf(compressed[0].Bytes);
        Assert.All(compressed, frame => Assert.Same(first, ArrayOf(frame.Bytes)));

        var plain = Assert.Single(sinks[3].Frames);
        Assert.False(plain.Compressed);
        Assert.Same(ArrayOf(publication.EncodedBy(new LegacyEncoding())), ArrayOf(plain.Bytes));
        Assert.True(first.Length < plain.Bytes.Length);
        Assert.Equal(plain.Bytes.ToArray(), Broadcast.Testing.ClientDeflate.Inflate(first));
    }

    [Fact]
    public void A_replay_on_resume_is_compressed_like_live_delivery()
    {
        var sink = new RecordingSink(Compression);
        var subscription = new ChannelSubscription(new Subscriber(sink), "chat", wantsPresence: false);
        var replayed = PublicationOf(string.Concat(Enumerable.Repeat("missed while away, ", 40)));
        subscription.GoLive(ReadOnlyMemory<byte>.Empty, new StreamPosition("e", 1), [replayed]);
        var frame = Assert.Single(sink.Frames);
        Assert.Equal(OutboundFrameKind.Replay, frame.Kind);
        Assert.True(frame.Compressed);
        Assert.Equal(FrameOf(replayed), Broadcast.Testing.ClientDeflate.Inflate(frame.Bytes.ToArray()));

        static byte[] FrameOf(Publication publication) => publication.EncodedBy(new LegacyEncoding()).ToArray();
    }

    [Fact]
    public void A_frame_shorter_than_the_threshold_goes_uncompressed_to_a_compressing_subscriber()
    {
        var sink = new RecordingSink(Compression);
        var publication = PublicationOf("short");
        Subscribe(sink).Deliver(publication);
        var frame = Assert.Single(sink.Frames);
        Assert.False(frame.Compressed);
        Assert.Same(ArrayOf(publication.EncodedBy(new LegacyEncoding())), ArrayOf(frame.Bytes));
    }

    [Fact]
    public void Compressing_happens_once_per_publication_and_encoding()
    {
        var publication = PublicationOf(string.Concat(Enumerable.Repeat("once ", 200)));
        var calls = 0;
        byte[] Counting(byte[] frame)
        {
            Interlocked.Increment(ref calls);
            return Compression.Compress(frame);
        }

        var results = Enumerable.Range(0, 8).AsParallel().Select(_ => ArrayOf(publication.CompressedBy(new LegacyEncoding(), Counting))).ToList();
        Assert.All(results, result => Assert.Same(results[0], result));

        // Racing first recipients may each compress, but one result is kept; later ones never compress again.
        var before = Volatile.Read(ref calls);
        publication.CompressedBy(new LegacyEncoding(), Counting);
        Assert.Equal(before, Volatile.Read(ref calls));
    }

    private static byte[] ArrayOf(ReadOnlyMemory<byte> memory)
    {
        Assert.True(MemoryMarshal.TryGetArray(memory, out var segment));
        return segment.Array!;
    }

    private static ChannelSubscription Subscribe(RecordingSink sink)
    {
        var subscription = new ChannelSubscription(new Subscriber(sink), "chat", wantsPresence: false);
        subscription.GoLive(ReadOnlyMemory<byte>.Empty, new StreamPosition("e", 0), []);
        return subscription;
    }

    private sealed class Subscriber(IFrameSink frames) : ISubscriber
    {
        public string Session => "subscriber";

        public string ClientKey => "node:" + System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

        public string? Name => null;

        public string? UserId => null;

        public IChannelEncoding Encoding { get; } = new LegacyEncoding();

        public IFrameSink Frames => frames;

        public Dictionary<string, ChannelSubscription> Subscriptions { get; } = [];
    }

    /// <summary>A connection's queue that only records what was queued, as the writer would take it.</summary>
    private sealed class RecordingSink(FrameCompression? compression) : IFrameSink
    {
        public List<OutboundFrame> Frames { get; } = [];

        public FrameCompression? Compression => compression;

        public bool IsClosing => false;

        public int QueuedFrames => Frames.Count;

        public long QueuedBytes => Frames.Sum(frame => frame.Bytes.Length);

        public int QueueCapacity => 1024;

        public long QueueByteCapacity => 1 << 24;

        public long FreeQueueBytes => QueueByteCapacity - QueuedBytes;

        public bool HasReplayRoom => true;

        public void UseBinaryFrames()
        {
        }

        public bool TryEnqueue(ReadOnlyMemory<byte> frame)
        {
            Frames.Add(new OutboundFrame(frame, OutboundFrameKind.Control));
            return true;
        }

        public bool EnqueueLive(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false)
        {
            Frames.Add(new OutboundFrame(frame, OutboundFrameKind.Live, publishedUtcTicks, source, compressed));
            return true;
        }

        public bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false)
        {
            Frames.Add(new OutboundFrame(frame, OutboundFrameKind.Replay, publishedUtcTicks, source, compressed));
            return true;
        }

        public void AwaitReplayRoom(IFrameSource source)
        {
        }

        public void ReportDropped(IFrameSource source, int count)
        {
        }

        public void CloseAsSlowConsumer()
        {
        }

        public bool RequestClose(CloseRequest request) => false;

        public bool Close(WebSocketCloseStatus status, string reason, bool drainFirst) => false;
    }
}
