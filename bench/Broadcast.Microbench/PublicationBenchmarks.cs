using System.Text;
using BenchmarkDotNet.Attributes;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol.Legacy;
using Broadcast.Server.Protocol.V2;

namespace Broadcast.Microbench;

/// <summary>
/// The work done once per published message, before fan-out: parse the client's frame, build the frames
/// recipients get. What these allocate is paid once per publication, not per delivery.
/// </summary>
[MemoryDiagnoser]
public class PublicationBenchmarks
{
    private byte[] _inbound = [];
    private byte[] _escaped = [];
    private readonly ChannelHub _hub = new();
    private readonly LegacyEncoding _legacy = new();
    private readonly V2Encoding _v2 = new();
    private readonly DateTime _timestamp = new(2026, 11, 26, 10, 15, 30, DateTimeKind.Utc);

    [Params(100, 1024, 16384)]
    public int MessageBytes { get; set; }

    private readonly Broadcast.Server.Transport.FrameCompression _compression = new(256, System.IO.Compression.CompressionLevel.Fastest);
    private byte[] _proseFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new string('x', MessageBytes);
        _inbound = Encoding.UTF8.GetBytes($"{{\"message\":\"{text}\"}}");
        _escaped = Encoding.UTF8.GetBytes(text);

        // Words drawn at random from a small vocabulary: compresses about as well as chat text, unlike a run of one letter.
        string[] words = ["the", "server", "sends", "every", "message", "to", "all", "other", "clients", "once", "channel", "history", "resume", "offset", "epoch", "presence"];
        var random = new Random(16);
        var prose = new StringBuilder();
        while (prose.Length < MessageBytes)
        {
            prose.Append(words[random.Next(words.Length)]).Append(' ');
        }

        _proseFrame = BroadcastFrame.Build(Encoding.UTF8.GetBytes(prose.ToString(0, MessageBytes)), _timestamp);
    }

    /// <summary>permessage-deflate of a legacy frame of prose: paid once per publication, whatever the number of compressing recipients.</summary>
    [Benchmark]
    public int CompressLegacyFrame() => _compression.Compress(_proseFrame).Length;

    /// <summary>Validating an inbound frame: expected to allocate nothing.</summary>
    [Benchmark]
    public bool ParseInbound() => InboundMessageParser.Parse(_inbound).IsValid;

    /// <summary>The legacy frame, built once per publication and shared by every recipient.</summary>
    [Benchmark]
    public int BuildLegacyFrame() => BroadcastFrame.Build(_escaped, _timestamp).Length;

    /// <summary>A publication with both protocols' frames, as the first legacy and first v2 recipient trigger them.</summary>
    [Benchmark]
    public int PublicationWithFrames()
    {
        var publication = new Publication("events", "epoch", 42, "origin", _timestamp, _escaped);
        return publication.EncodedBy(_legacy).Length + publication.EncodedBy(_v2).Length;
    }

    /// <summary>The hub's lookup for a channel nobody here subscribes to: the fixed cost before any delivery.</summary>
    [Benchmark]
    public void DeliverWithoutSubscribers() =>
        _hub.Deliver(new Publication("nobody", "epoch", 1, "origin", _timestamp, _escaped));
}
