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

    [GlobalSetup]
    public void Setup()
    {
        var text = new string('x', MessageBytes);
        _inbound = Encoding.UTF8.GetBytes($"{{\"message\":\"{text}\"}}");
        _escaped = Encoding.UTF8.GetBytes(text);
    }

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
