using System.Buffers;
using System.Buffers.Binary;
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
    private Security.ClientPrincipal? _principal;

    /// <summary>Data frames up to this size are batched in one buffer; larger ones get a buffer of their own.</summary>
    private const int BatchBytes = 32 * 1024;

    private readonly SharedWriteStream? _output;

    internal ClientConnection(long id, string nodeId, WebSocket socket, SharedWriteStream? output, IPAddress? remoteAddress, bool isLegacy, int queueCapacity, ConnectionEvents events)
    {
        _output = output;
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

    /// <summary>What the client's token allows, and until when; null for an anonymous client.</summary>
    internal Security.ClientPrincipal? Principal
    {
        get => Volatile.Read(ref _principal);
        set => Volatile.Write(ref _principal, value);
    }

    /// <summary>Closes the connection when <see cref="Principal"/> expires without a refresh.</summary>
    internal ITimer? ExpiryTimer { get; set; }

    /// <summary>True once a v2 client's hello was accepted.</summary>
    internal bool HasGreeted { get; set; }

    /// <summary>This connection's publish budget (Broadcast:Limits:PublishRatePerSecond); used by its receive loop only.</summary>
    internal Security.PublishRateLimiter? PublishBudget { get; set; }

    /// <summary>
    /// Spends one publish from the budget. Over budget the caller answers <c>rate_limited</c>, and then,
    /// for <see cref="Security.PublishRateLimiter.Verdict.RefusedTooOften"/>, calls <see cref="CloseForFlooding"/>.
    /// </summary>
    internal Security.PublishRateLimiter.Verdict SpendPublish() =>
        PublishBudget?.TryPublish() ?? Security.PublishRateLimiter.Verdict.Allowed;

    /// <summary>The client kept publishing through its errors: close with 1008 after the replies already queued.</summary>
    internal void CloseForFlooding() =>
        RequestClose(new CloseRequest(WebSocketCloseStatus.PolicyViolation, "publish rate limit exceeded", DrainFirst: true, _events.CloseTimeout));

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
        if (CloseRequest is not null)
        {
            // Closing (often: a slow consumer being cut off): every later broadcast skips it at once,
            // without building another close request.
            return false;
        }

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
        try
        {
            if (_output is not null)
            {
                await WriteBatchesAsync(_output).ConfigureAwait(false);
            }
            else
            {
                await WriteFramesOneByOneAsync().ConfigureAwait(false);
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
    }

    /// <summary>
    /// The fast path: every frame waiting in the queue is framed into one pooled buffer and written with a
    /// single call, so a burst of N frames costs one send instead of N. Server frames are never masked, so
    /// framing is a 2-10 byte header before the shared payload.
    /// </summary>
    private async Task WriteBatchesAsync(SharedWriteStream output)
    {
        var reader = _outbound.Reader;
        var metrics = _events.Metrics;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BatchBytes);
            var length = 0;
            var publications = 0;
            long oldestLiveTicks = 0;
            try
            {
                while (length < BatchBytes && reader.TryRead(out var frame))
                {
                    if (frame.CountsAsLive)
                    {
                        Interlocked.Decrement(ref _liveDepth);
                        if (frame.PublishedUtcTicks != 0 && oldestLiveTicks == 0)
                        {
                            oldestLiveTicks = frame.PublishedUtcTicks;
                        }
                    }

                    if (CloseRequest is { DrainFirst: false })
                    {
                        return;
                    }

                    publications += frame.PublishedUtcTicks != 0 ? 1 : 0;
                    var needed = length + MaxHeaderBytes + frame.Bytes.Length;
                    if (needed > buffer.Length)
                    {
                        // A frame larger than the batch: grow the buffer just for this batch.
                        var larger = ArrayPool<byte>.Shared.Rent(needed);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    length += WriteTextFrame(frame.Bytes.Span, buffer.AsSpan(length));
                }

                // Once the WebSocket has sent a close frame (e.g. it rejected a bad frame), no data may follow.
                if (length > 0 && Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await output.WriteAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            // Counted per batch: shared totals are touched once per write, and one latency sample per
            // batch (its oldest live frame, the one that waited longest) keeps the hot path cheap.
            metrics.FramesSent(publications, length);
            if (oldestLiveTicks != 0)
            {
                metrics.DeliveryLatency(oldestLiveTicks);
            }

            if (CloseRequest is { DrainFirst: false })
            {
                return;
            }
        }
    }

    /// <summary>For connections whose stream the server does not own (WebSockets over HTTP/2): one send per frame.</summary>
    private async Task WriteFramesOneByOneAsync()
    {
        var reader = _outbound.Reader;
        var metrics = _events.Metrics;
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
                    return;
                }

                await Socket.SendAsync(frame.Bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                metrics.FramesSent(frame.PublishedUtcTicks != 0 ? 1 : 0, frame.Bytes.Length);
                if (frame.CountsAsLive && frame.PublishedUtcTicks != 0)
                {
                    metrics.DeliveryLatency(frame.PublishedUtcTicks);
                }
            }
        }
    }

    private const int MaxHeaderBytes = 10;

    /// <summary>Writes an unmasked, final text frame (RFC 6455 section 5.2) and returns its length.</summary>
    private static int WriteTextFrame(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        destination[0] = 0x81; // FIN + text
        int header;
        if (payload.Length < 126)
        {
            destination[1] = (byte)payload.Length;
            header = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            destination[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            header = 10;
        }

        payload.CopyTo(destination[header..]);
        return header + payload.Length;
    }

    internal void DisposeResources()
    {
        ExpiryTimer?.Dispose();
        _abort.Dispose();
    }
}
