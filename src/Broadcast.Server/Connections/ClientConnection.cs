using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace Broadcast.Server.Connections;

/// <summary>
/// One client's WebSocket with its single bounded outbound queue and the one writer that drains it.
/// Anyone may enqueue (broadcasts, error replies); only the writer sends, so a slow socket holds up
/// nobody but itself. A full queue marks the client as a slow consumer and closes it with 1008.
/// </summary>
public sealed class ClientConnection
{
    private readonly Channel<OutboundFrame> _outbound;
    private readonly int _capacity;
    private int _liveDepth;
    private readonly ConnectionEvents _events;
    private readonly CancellationTokenSource _abort = new();
    private CloseRequest? _closeRequest;

    internal ClientConnection(long id, string nodeId, WebSocket socket, IPAddress? remoteAddress, bool isLegacy, int queueCapacity, ConnectionEvents events)
    {
        Id = id;
        ClientKey = nodeId + ":" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        IsLegacy = isLegacy;
        Session = Sessions.SessionId.New();
        Socket = socket;
        RemoteAddress = remoteAddress;
        _events = events;
        _capacity = queueCapacity;
        // Unbounded underneath; the bound on live frames is enforced by counting them (_liveDepth),
        // because a resume's replay (itself bounded by the history size) must not count as slowness.
        _outbound = Channel.CreateUnbounded<OutboundFrame>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _abort.Token.Register(static state => ((WebSocket)state!).Abort(), socket);
    }

    public long Id { get; }

    /// <summary>When the upgrade was accepted (UTC).</summary>
    public DateTimeOffset ConnectedAt { get; } = DateTimeOffset.UtcNow;

    public IPAddress? RemoteAddress { get; }

    /// <summary>Unique across nodes: identifies this connection in presence.</summary>
    public string ClientKey { get; }

    /// <summary>
    /// True for clients of the original protocol: they receive only <c>{"message","timestamp"}</c>
    /// broadcasts and error replies, on the channel <c>events</c>.
    /// </summary>
    public bool IsLegacy { get; }

    /// <summary>The client's session: random for legacy clients; a v2 client may resume an earlier one in hello.</summary>
    public string Session { get; internal set; }

    /// <summary>The display name a v2 client gave in hello, shown in presence.</summary>
    public string? Name { get; internal set; }

    /// <summary>True once a v2 client's hello was accepted.</summary>
    internal bool HasGreeted { get; set; }

    /// <summary>This connection's subscriptions, by channel. Touched only by the connection's receive loop.</summary>
    internal Dictionary<string, Channels.Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    internal WebSocket Socket { get; }

    /// <summary>Set once the server decided to close this connection; null while it is healthy.</summary>
    internal CloseRequest? CloseRequest => Volatile.Read(ref _closeRequest);

    /// <summary>
    /// Live frames waiting to be written: the number bounded by the queue capacity (a replay is not counted).
    /// Read from the counter, since a single-reader channel cannot count its items.
    /// </summary>
    public int QueuedFrames => Math.Max(0, Volatile.Read(ref _liveDepth));

    /// <summary>
    /// Queues a frame without waiting. The bytes must not change afterwards: the same array is
    /// shared by every recipient. Returns false if the connection is closing or just overflowed.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => TryEnqueue(frame, publishedUtcTicks: 0);

    /// <summary>Queues a publication's frame; <paramref name="publishedUtcTicks"/> lets the writer measure delivery latency.</summary>
    internal bool TryEnqueue(ReadOnlyMemory<byte> frame, long publishedUtcTicks)
    {
        if (Volatile.Read(ref _liveDepth) < _capacity)
        {
            Interlocked.Increment(ref _liveDepth);
            if (_outbound.Writer.TryWrite(new OutboundFrame(frame, CountsAsLive: true, publishedUtcTicks)))
            {
                return true;
            }

            Interlocked.Decrement(ref _liveDepth);
            return false;
        }

        if (RequestClose(new CloseRequest(
                WebSocketCloseStatus.PolicyViolation,
                "slow consumer: outbound queue overflow",
                DrainFirst: false,
                AbortAfter: _events.CloseTimeout)))
        {
            _events.SlowConsumer(this);
        }

        _events.Metrics.SlowConsumerDropped(1);
        return false;
    }

    /// <summary>
    /// Queues a replayed frame: not counted against the live queue's capacity, since the history
    /// it comes from is bounded and a client catching up is not a slow client.
    /// </summary>
    internal bool EnqueueReplay(ReadOnlyMemory<byte> frame, long publishedUtcTicks = 0) =>
        _outbound.Writer.TryWrite(new OutboundFrame(frame, CountsAsLive: false, publishedUtcTicks));

    /// <summary>
    /// Starts closing the connection. The first request wins; later ones return false. The writer
    /// sends the close frame; if the handshake does not finish in time the socket is aborted.
    /// </summary>
    internal bool RequestClose(CloseRequest request)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, request, null) is not null)
        {
            return false;
        }

        _outbound.Writer.TryComplete();
        try
        {
            _abort.CancelAfter(request.AbortAfter);
        }
        catch (ObjectDisposedException)
        {
            // The connection already finished; nothing left to abort.
        }

        return true;
    }

    /// <summary>Aborts the socket now: used when the peer is gone or the handshake overran.</summary>
    internal void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// The single writer: sends queued frames in order until the queue is completed, then the close
    /// frame if the server asked for one. Never throws: a failed send means the peer is gone.
    /// </summary>
    internal async Task RunWriterAsync()
    {
        var reader = _outbound.Reader;
        var metrics = _events.Metrics;
        // Counted per batch, not per frame, so the shared totals are touched once per wake-up (or per 64 frames).
        var publications = 0;
        var bytes = 0L;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    if (frame.CountsAsLive)
                    {
                        Interlocked.Decrement(ref _liveDepth);
                    }

                    if (CloseRequest is { DrainFirst: false })
                    {
                        break;
                    }

                    await Socket.SendAsync(frame.Bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                    bytes += frame.Bytes.Length;
                    if (frame.PublishedUtcTicks != 0)
                    {
                        publications++;
                        if (frame.CountsAsLive)
                        {
                            metrics.DeliveryLatency(frame.PublishedUtcTicks);
                        }
                    }

                    if (publications == 64)
                    {
                        metrics.FramesSent(publications, bytes);
                        (publications, bytes) = (0, 0);
                    }
                }

                metrics.FramesSent(publications, bytes);
                (publications, bytes) = (0, 0);

                if (CloseRequest is { DrainFirst: false })
                {
                    break;
                }
            }

            if (CloseRequest is { } close && Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await Socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer vanished or the socket was aborted; the receive loop sees it too and cleans up.
            Abort();
        }
        finally
        {
            metrics.FramesSent(publications, bytes);
        }
    }

    internal void DisposeResources() => _abort.Dispose();
}
