using System.Net;
using System.Text;
using Broadcast.Server.Transport.HttpStreaming;

namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>
/// One Server-Sent Events client (an <c>EventSource</c>): receive-only, so its requests are the ones its URL
/// asked for (handed in by the endpoint), and the server's frames go out as events (<see cref="SseFrameBatch"/>).
/// The server's close is a last <c>close</c> event, then the response ends (and a browser reconnects with
/// <c>Last-Event-ID</c> by itself).
/// </summary>
internal sealed class SseConnection(long id, IPAddress? remoteAddress, Stream body, CancellationToken requestAborted, Action abortRequest, IEnumerable<SsePosition> resumed, TransportOptions options, FlushScheduler flusher, ITransportObserver observer, ILogger logger)
    : ResponseStreamConnection(id, remoteAddress, body, requestAborted, abortRequest, options, flusher, observer, logger)
{
    public const string Name = TransportNames.ServerSentEvents;

    public const string ContentType = "text/event-stream; charset=utf-8";

    private static readonly byte[] PingFrame = """{"type":"ping"}"""u8.ToArray();

    private readonly SsePositions _positions = new(resumed);

    public override string Transport => Name;

    protected override ReadOnlyMemory<byte> KeepAliveFrame => PingFrame;

    protected override byte[] CloseFrame(CloseRequest close) =>
        Encoding.UTF8.GetBytes("event: close\ndata: ").Concat(HttpStreamConnection.CloseLine(close)).Append((byte)'\n').ToArray();

    protected override (byte[] Buffer, int Length, int Publications, long OldestLiveTicks) TakeBatch(byte[] buffer)
    {
        var batch = new SseFrameBatch(buffer, _positions);
        Queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        return (batch.Buffer, batch.Length, batch.Publications, batch.OldestLiveTicks);
    }

    /// <summary>Ends the inbound side at once: an SSE client sends nothing after its URL.</summary>
    public void NoMoreRequests() => CompleteInbound();
}
