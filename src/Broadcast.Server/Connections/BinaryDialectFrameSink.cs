using System.Net.WebSockets;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Connections;

/// <summary>
/// The frame sink of a session whose dialect is binary (<see cref="IClientDialect.IsBinary"/>, MessagePack): the
/// transport's, sending binary frames, with every JSON frame re-encoded by the dialect on its way in. The
/// extended protocol's shared handler (and anything else that answers a session: the application's user
/// actions, say) writes replies as JSON; publications and channel notices arrive already in the dialect's encoding
/// (built once per publication) and pass through untouched, so the hot path costs one interface call more.
/// </summary>
/// <remarks>Every JSON frame is an object and starts with <c>{</c>; a binary dialect's frames do not (a MessagePack map starts with 0x80-0x8f, 0xde or 0xdf).</remarks>
internal sealed class BinaryDialectFrameSink : IFrameSink
{
    private readonly IFrameSink _transport;
    private readonly IClientDialect _dialect;

    public BinaryDialectFrameSink(IFrameSink transport, IClientDialect dialect)
    {
        _transport = transport;
        _dialect = dialect;
        transport.UseBinaryFrames();
    }

    public bool IsClosing => _transport.IsClosing;

    public FrameCompression? Compression => _transport.Compression;

    public int QueuedFrames => _transport.QueuedFrames;

    public long QueuedBytes => _transport.QueuedBytes;

    public int QueueCapacity => _transport.QueueCapacity;

    public long QueueByteCapacity => _transport.QueueByteCapacity;

    public long FreeQueueBytes => _transport.FreeQueueBytes;

    public bool HasReplayRoom => _transport.HasReplayRoom;

    public void UseBinaryFrames() => _transport.UseBinaryFrames();

    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => _transport.TryEnqueue(Encoded(frame));

    public bool TryEnqueueReply(ReadOnlyMemory<byte> frame) => _transport.TryEnqueueReply(Encoded(frame));

    // Compressed bytes were built from the dialect's own encoding (deflate output may start with any byte): passed on as they are.
    public bool EnqueueLive(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false) =>
        _transport.EnqueueLive(compressed ? frame : Encoded(frame), publishedUtcTicks, source, compressed);

    public bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks, IFrameSource? source, bool compressed = false) =>
        _transport.EnqueueReplay(compressed ? frame : Encoded(frame), publishedUtcTicks, source, compressed);

    public void AwaitReplayRoom(IFrameSource source) => _transport.AwaitReplayRoom(source);

    public void ReportDropped(IFrameSource source, int count) => _transport.ReportDropped(source, count);

    public void CloseAsSlowConsumer() => _transport.CloseAsSlowConsumer();

    public bool RequestClose(CloseRequest request) => _transport.RequestClose(request);

    public bool Close(WebSocketCloseStatus status, string reason, bool drainFirst) => _transport.Close(status, reason, drainFirst);

    private ReadOnlyMemory<byte> Encoded(ReadOnlyMemory<byte> frame) =>
        frame.Length > 0 && frame.Span[0] == (byte)'{' ? _dialect.FromJson(frame) : frame;
}
