using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Broadcast.Server.Transport.Compression;
using Broadcast.Server.Transport.Sockets;
using Broadcast.Server.Transport.WebSockets;

namespace Broadcast.Server.Transport.RawWebSockets;

/// <summary>
/// A WebSocket the server upgraded itself, at the connection level (<c>Broadcast:WebSocketStack</c> =
/// <c>Connection</c>) on a socket it accepted itself (<see cref="BareSocket"/>): no Kestrel connection and no
/// HTTP request stays alive under it. Frames are read straight from the socket (<see cref="SocketPipeReader"/>
/// waits for data with zero-byte receives, so an idle connection holds no buffer) and parsed here; each flush
/// round's batch, pongs, pings and the close frame are written by the one writer straight to the socket.
/// </summary>
internal sealed class RawWebSocketConnection : QueuedFrameWriter, IClientConnection
{
    private readonly Socket _socket;
    private readonly BareSocket _connection;
    private readonly SocketPipeReader _input;
    private readonly MessageLimits _limits;
    private readonly MessageBuffer _message;

    // Only for a connection that negotiated permessage-deflate: a compressed message inflates into it (within the same limit).
    private readonly MessageBuffer? _inflated;

    // Made when the teardown first waits for it or the close is written, whichever comes first: an idle connection holds none.
    private TaskCompletionSource? _written;
    private readonly KeepAliveClock _keepAlive;
    private readonly long _keepAliveIntervalTicks;
    private readonly long _keepAliveTimeoutTicks;

    // Receive state: touched by the receive loop only.
    private int _messageOpcode;
    private bool _messageCompressed;
    private int _fragments;
    private bool _inPayload;
    private FrameHeader _frame;
    private long _frameRead;
    private bool _discardFrame;
    private bool _broken;

    // After a protocol violation (_broken): bytes of the frame being skipped still to come, and whether the
    // framing itself was lost (a length that cannot be read), so that nothing more can be skipped frame by frame.
    private long _skipLeft;
    private bool _unframed;

    // Control frames of the writer's own, outside the queue (replaced, never queued up).
    private byte[]? _pendingPong;
    private int _pingDue;
    private long _lastPingTicks;
    private long _pongDeadlineTicks;
    private int _peerCloseStatus = -1;

    // The close handshake's deadline: made only once the server closes, so an idle connection holds none.
    private CancellationTokenSource? _abort;
    private int _disposed;

    internal RawWebSocketConnection(long id, BareSocket connection, IPAddress? remoteAddress, MessageLimits limits, TransportOptions options, KeepAliveClock keepAlive, FlushScheduler flusher, ITransportObserver observer, ILogger logger, FrameCompression? compression = null)
        : base(id, remoteAddress, options, flusher, observer, logger)
    {
        Compression = compression;
        _inflated = compression is null ? null : new MessageBuffer(limits.MaxBytes);
        _socket = connection.Socket;
        _input = connection.Input;
        _connection = connection;
        _limits = limits;
        _message = new MessageBuffer(limits.MaxBytes);
        _keepAlive = keepAlive;
        if (keepAlive.Enabled)
        {
            _keepAliveIntervalTicks = options.KeepAliveInterval.Ticks;
            _keepAliveTimeoutTicks = options.KeepAliveTimeout.Ticks;
            _lastPingTicks = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
            keepAlive.Add(this);
        }
    }

    public string Transport => TransportNames.WebSocket;

    public IFrameSink Frames => this;

    CloseRequest? IClientConnection.CloseRequest => CloseRequest;

    public int? PeerCloseStatus => _peerCloseStatus >= 0 ? _peerCloseStatus : null;

    /// <summary>
    /// The socket's own zero-byte receive while nothing is held: an idle connection keeps no suspended
    /// <see cref="ReceiveAsync"/> (232 B each), only the socket's wait.
    /// </summary>
    public ValueTask<int> WaitToReceiveAsync() => _input.WaitForDataAsync();

    public Task WhenWrittenAsync() => Written().Task;

    private TaskCompletionSource Written()
    {
        if (Volatile.Read(ref _written) is { } written)
        {
            return written;
        }

        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Interlocked.CompareExchange(ref _written, created, null) ?? created;
    }

    protected override bool HasPendingControl => Volatile.Read(ref _pendingPong) is not null || Volatile.Read(ref _pingDue) != 0;

    // ---- receiving ----

    public async ValueTask<ReceivedMessage> ReceiveAsync()
    {
        // The previous message was read by its handler: its memory may go.
        _message.Reset();
        _inflated?.Reset();
        var bytes = 0;
        while (true)
        {
            if (!_input.TryRead(out var read))
            {
                // The receive loop waited for the bytes (WaitToReceiveAsync): this waits only for the rest of
                // a message that is arriving, and the reader waits with a zero-byte receive, no buffer held.
                read = await _input.ReadAsync().ConfigureAwait(false);
            }

            var buffer = read.Buffer;
            var outcome = Parse(ref buffer, ref bytes);
            if (outcome is { } result)
            {
                _input.AdvanceTo(buffer.Start);
                return result with { BytesReceived = bytes };
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                // The peer closed TCP without a close frame, or the connection was aborted.
                _input.AdvanceTo(buffer.End);
                return ReceivedMessage.Ended(CloseRequest?.Label ?? "connection_lost", bytes);
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Consumes whole frames (and payload as it arrives) from <paramref name="buffer"/>; a result once there is one.</summary>
    private ReceivedMessage? Parse(ref ReadOnlySequence<byte> buffer, ref int bytes)
    {
        Span<byte> control = stackalloc byte[125];
        while (true)
        {
            if (_broken)
            {
                return SkipUntilPeerClose(ref buffer, ref bytes);
            }

            if (_inPayload)
            {
                var take = (int)Math.Min(buffer.Length, _frame.PayloadLength - _frameRead);
                if (take == 0 && _frame.PayloadLength > _frameRead)
                {
                    return null;
                }

                if (!_discardFrame)
                {
                    CopyPayload(buffer.Slice(0, take));
                }

                _frameRead += take;
                bytes += take;
                buffer = buffer.Slice(take);
                if (_frameRead < _frame.PayloadLength)
                {
                    return null;
                }

                _inPayload = false;
                if (_discardFrame || !_frame.Fin)
                {
                    continue;
                }

                if (EndOfMessage() is { } message)
                {
                    return message;
                }

                continue;
            }

            if (!FrameHeader.TryRead(buffer, out var header))
            {
                return null;
            }

            if (header.Violation(deflate: _inflated is not null) is { } violation)
            {
                return Fail(WebSocketCloseStatus.ProtocolError, violation, bytes, offending: header);
            }

            if (header.IsControl)
            {
                if (buffer.Length < header.HeaderLength + header.PayloadLength)
                {
                    return null;
                }

                var payload = control[..(int)header.PayloadLength];
                buffer.Slice(header.HeaderLength, header.PayloadLength).CopyTo(payload);
                FrameHeader.Unmask(payload, header.MaskKey, 0);
                buffer = buffer.Slice(header.HeaderLength + header.PayloadLength);
                bytes += payload.Length;
                if (Control(header.Opcode, payload, bytes) is { } ended)
                {
                    return ended;
                }

                continue;
            }

            if (header.Opcode == FrameHeader.Continuation ? _messageOpcode == 0 : _messageOpcode != 0)
            {
                return Fail(WebSocketCloseStatus.ProtocolError, header.Opcode == FrameHeader.Continuation ? "continuation without a message" : "new message inside a fragmented one", bytes, offending: header);
            }

            buffer = buffer.Slice(header.HeaderLength);
            if (header.Opcode != FrameHeader.Continuation)
            {
                _messageOpcode = header.Opcode;
                _messageCompressed = header.Compressed;
            }

            _frame = header;
            _frameRead = 0;
            _inPayload = true;
            _discardFrame = IsClosing;
            if (_discardFrame)
            {
                // Closing: discard whatever still arrives until the client answers the close.
                _message.Reset();
                EndFrameIfDone();
                continue;
            }

            if (_message.Length + header.PayloadLength > _limits.MaxBytes)
            {
                // Refused from the header alone: nothing of the payload is buffered.
                _discardFrame = true;
                _message.Reset();
                Close(WebSocketCloseStatus.MessageTooBig, $"message exceeds {_limits.MaxBytes} bytes", drainFirst: false);
                EndFrameIfDone();
                return new ReceivedMessage(ReceiveOutcome.TooBig, BytesReceived: bytes);
            }

            if (!header.Fin && ++_fragments > _limits.MaxFragments)
            {
                // Empty fragments never reach the byte limit; bound their number instead.
                _discardFrame = true;
                _message.Reset();
                Close(WebSocketCloseStatus.PolicyViolation, "too many fragments in one message", drainFirst: false);
                EndFrameIfDone();
                return new ReceivedMessage(ReceiveOutcome.TooManyFragments, BytesReceived: bytes);
            }

            if (header.PayloadLength == 0 && header.Fin && EndOfMessage() is { } empty)
            {
                _inPayload = false;
                return empty;
            }
        }
    }

    /// <summary>A frame whose payload is all discarded ends its message state once its last byte passed (or at once, if empty).</summary>
    private void EndFrameIfDone()
    {
        if (_frame.Fin)
        {
            _messageOpcode = 0;
            _fragments = 0;
        }
    }

    private void CopyPayload(ReadOnlySequence<byte> payload)
    {
        foreach (var segment in payload)
        {
            var source = segment.Span;
            while (!source.IsEmpty)
            {
                var space = _message.GetFreeSpace().Span;
                var count = Math.Min(space.Length, source.Length);
                source[..count].CopyTo(space);
                FrameHeader.Unmask(space[..count], _frame.MaskKey, _frameRead);
                _frameRead += count;
                _message.Advance(count);
                source = source[count..];
            }
        }

        // CopyPayload advanced the position for unmasking; the caller counts the frame's bytes itself.
        _frameRead -= payload.Length;
    }

    /// <summary>The last frame of a message arrived: a compressed one is inflated (within the limit, else 1009); text must be UTF-8 (else 1007).</summary>
    private ReceivedMessage? EndOfMessage()
    {
        var opcode = _messageOpcode;
        _messageOpcode = 0;
        _fragments = 0;
        var message = _message;
        if (_messageCompressed && _inflated is not null)
        {
            _messageCompressed = false;
            switch (MessageInflater.Inflate(_message.Written, _inflated))
            {
                case InflateOutcome.TooBig:
                    // A few bytes on the wire may inflate to any size: the limit is on what they inflate to.
                    _message.Reset();
                    _inflated.Reset();
                    Close(WebSocketCloseStatus.MessageTooBig, $"message exceeds {_limits.MaxBytes} bytes", drainFirst: false);
                    return new ReceivedMessage(ReceiveOutcome.TooBig);
                case InflateOutcome.Invalid:
                    _inflated.Reset();
                    return Fail(WebSocketCloseStatus.InvalidPayloadData, "invalid compressed data", 0);
            }

            // The compressed bytes are no longer needed: only the inflated message stays until it is handled.
            _message.Reset();
            message = _inflated;
        }

        if (opcode == FrameHeader.Text && !Utf8.IsValid(message.Written))
        {
            return Fail(WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8 in a text message", 0);
        }

        return new ReceivedMessage(ReceiveOutcome.Message, message.WrittenMemory, opcode == FrameHeader.Binary);
    }

    private ReceivedMessage? Control(int opcode, ReadOnlySpan<byte> payload, int bytes)
    {
        switch (opcode)
        {
            case FrameHeader.Ping:
                if (!IsClosing)
                {
                    // Only the latest ping needs an answer (section 5.5.3).
                    Volatile.Write(ref _pendingPong, payload.ToArray());
                    ScheduleFlush();
                }

                return null;
            case FrameHeader.Pong:
                // Any pong proves the peer alive; an unsolicited one is otherwise ignored.
                Volatile.Write(ref _pongDeadlineTicks, 0);
                return null;
            default:
                return PeerClosed(payload, bytes);
        }
    }

    private ReceivedMessage? PeerClosed(ReadOnlySpan<byte> payload, int bytes)
    {
        var status = WebSocketCloseStatus.NormalClosure;
        if (payload.Length == 1)
        {
            return Fail(WebSocketCloseStatus.ProtocolError, "invalid close frame", bytes);
        }

        if (payload.Length >= 2)
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!ControlFrames.IsValidPeerCode(code))
            {
                return Fail(WebSocketCloseStatus.ProtocolError, "invalid close code", bytes);
            }

            if (!Utf8.IsValid(payload[2..]))
            {
                return Fail(WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8 in the close reason", bytes);
            }

            status = (WebSocketCloseStatus)code;
            _peerCloseStatus = code;
        }

        // The client answered our close, or started its own: then echo its code, as RFC 6455 asks.
        var serverClose = CloseRequest;
        Close(status, "", drainFirst: false);
        _message.Reset();
        return ReceivedMessage.Ended(serverClose?.Label ?? "client_closed", bytes);
    }

    /// <summary>
    /// A protocol violation: close with <paramref name="status"/>, then deliver nothing more of it, only look for its
    /// answer (<see cref="SkipUntilPeerClose"/>). <paramref name="offending"/>: the frame that broke the rules, when it
    /// is still at the head of the buffer (its header was read, nothing consumed): skipped whole first.
    /// </summary>
    private ReceivedMessage? Fail(WebSocketCloseStatus status, string reason, int bytes, FrameHeader? offending = null)
    {
        _message.Reset();
        _broken = true;
        if (offending is { } frame)
        {
            SkipFrame(frame);
        }

        Close(status, reason, drainFirst: false);
        return null;
    }

    private void SkipFrame(in FrameHeader frame)
    {
        if (frame.PayloadLength < 0 || frame.PayloadLength > long.MaxValue - frame.HeaderLength)
        {
            _unframed = true;
            return;
        }

        _skipLeft = frame.HeaderLength + frame.PayloadLength;
    }

    /// <summary>
    /// After a protocol violation, closed by us: what the client still sends is skipped frame by frame, payloads unread
    /// and nothing delivered, until its close frame, its answer to ours: then the connection ends (RFC 6455 sections
    /// 5.5.1 and 7.1.1), without waiting for the close deadline. Framing lost to an unreadable length: everything is
    /// discarded until the peer goes or the close deadline aborts.
    /// </summary>
    private ReceivedMessage? SkipUntilPeerClose(ref ReadOnlySequence<byte> buffer, ref int bytes)
    {
        while (true)
        {
            if (_unframed)
            {
                bytes += (int)buffer.Length;
                buffer = buffer.Slice(buffer.End);
                return null;
            }

            if (_skipLeft > 0)
            {
                var take = Math.Min(buffer.Length, _skipLeft);
                buffer = buffer.Slice(take);
                bytes += (int)take;
                _skipLeft -= take;
                if (_skipLeft > 0)
                {
                    return null;
                }
            }

            if (!FrameHeader.TryRead(buffer, out var header))
            {
                return null;
            }

            if (header.Opcode != FrameHeader.Close)
            {
                SkipFrame(header);
                continue;
            }

            if (header.PayloadLength is >= 2 and <= 125)
            {
                if (buffer.Length < header.HeaderLength + header.PayloadLength)
                {
                    return null;
                }

                // Its code, for metrics and logs (ours was sent already: nothing is echoed).
                Span<byte> code = stackalloc byte[2];
                buffer.Slice(header.HeaderLength, 2).CopyTo(code);
                FrameHeader.Unmask(code, header.MaskKey, 0);
                _peerCloseStatus = BinaryPrimitives.ReadUInt16BigEndian(code);
                buffer = buffer.Slice(header.HeaderLength + header.PayloadLength);
                bytes += (int)header.PayloadLength;
            }

            return ReceivedMessage.Ended(CloseRequest?.Label ?? "client_closed", bytes);
        }
    }

    // ---- writing ----

    [MethodImpl(HotPath.Compile)]
    public override int Flush(ref byte[] buffer)
    {
        ContinueReplays();
        var batch = new FrameBatch(buffer) { Binary = SendsBinary };
        Queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        buffer = batch.Buffer;
        var length = batch.Length;
        if (HasPendingControl)
        {
            // After the data already taken: a pong or ping is never held behind more than one batch.
            if (length + (2 * ControlFrames.MaxBytes) > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(length + (2 * ControlFrames.MaxBytes));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            length += WriteControls(buffer.AsSpan(length));
        }

        if (length == 0)
        {
            FinishFlush();
            return 0;
        }

        var sent = 0;
        if (NonBlockingSend.Supported)
        {
            sent = NonBlockingSend.Send(_socket, buffer.AsSpan(0, length));
            if (sent < 0)
            {
                AbortNow();
                FinishFlush();
                return 0;
            }

            if (sent == length)
            {
                Written(batch.Publications, batch.Length, batch.OldestLiveTicks);
                FinishFlush();
                return FramesCarried(batch.Publications);
            }
        }

        // What the kernel did not take at once (all of it without the system call) goes through the socket's
        // asynchronous send, which waits for room when the client reads slowly.
        ValueTask<int> send;
        try
        {
            send = _socket.SendAsync(buffer.AsMemory(sent, length - sent), SocketFlags.None);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            AbortNow();
            FinishFlush();
            return 0;
        }

        if (!send.IsCompleted)
        {
            // The client is not keeping up: finish this write on its own, with the buffer it holds.
            var pending = buffer;
            buffer = ArrayPool<byte>.Shared.Rent(FlushScheduler.BatchBytes);
            _ = CompleteSendAsync(send, pending, batch.Publications, batch.Length, batch.OldestLiveTicks);
            return FramesCarried(batch.Publications);
        }

        try
        {
            send.GetAwaiter().GetResult();
            Written(batch.Publications, batch.Length, batch.OldestLiveTicks);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            AbortNow();
        }

        FinishFlush();
        return FramesCarried(batch.Publications);
    }

    private int WriteControls(Span<byte> destination)
    {
        var length = 0;
        if (Interlocked.Exchange(ref _pendingPong, null) is { } pong)
        {
            length += ControlFrames.Write(FrameHeader.Pong, pong, destination);
        }

        if (Interlocked.Exchange(ref _pingDue, 0) != 0)
        {
            length += ControlFrames.Write(FrameHeader.Ping, [], destination[length..]);
        }

        return length;
    }

    private async Task CompleteSendAsync(ValueTask<int> send, byte[] buffer, int publications, int bytes, long oldestLiveTicks)
    {
        try
        {
            await send.ConfigureAwait(false);
            Written(publications, bytes, oldestLiveTicks);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            AbortNow();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        FinishFlush();
    }

    /// <summary>Everything before the close was written: the close frame follows, the last thing sent.</summary>
    protected override void OnQueueFinished() => _ = SendCloseAsync();

    private async Task SendCloseAsync()
    {
        try
        {
            if (CloseRequest is { } close)
            {
                var frame = ControlFrames.Close((int)close.Status, close.Reason);

                // A non-blocking send first, as for data: a peer already gone (a client that closed without
                // waiting for the answer, every client of a storm) costs one failed system call, not a
                // SocketException with its stack trace (about 25 KB and most of a connection's CPU in a storm).
                var sent = NonBlockingSend.Supported ? NonBlockingSend.Send(_socket, frame) : 0;
                if (sent < 0)
                {
                    AbortNow();
                }
                else if (sent < frame.Length)
                {
                    await _socket.SendAsync(frame.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer is gone; the receive loop sees it too.
            AbortNow();
        }

        Written().TrySetResult();
    }

    protected override void AbortAfter(TimeSpan timeout)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var abort = Volatile.Read(ref _abort);
        if (abort is null)
        {
            var created = new CancellationTokenSource();
            created.Token.Register(static state => ((RawWebSocketConnection)state!).AbortNow(), this);
            abort = Interlocked.CompareExchange(ref _abort, created, null) ?? created;
            if (!ReferenceEquals(abort, created))
            {
                created.Dispose();
            }
            else if (Volatile.Read(ref _disposed) != 0)
            {
                // Disposed while this was made: nothing left to abort.
                Interlocked.Exchange(ref _abort, null)?.Dispose();
                return;
            }
        }

        try
        {
            abort.CancelAfter(timeout);
        }
        catch (ObjectDisposedException)
        {
            // The connection already finished; nothing left to abort.
        }
    }

    private void AbortNow()
    {
        _connection.Abort();
    }

    // ---- keep-alive ----

    /// <summary>Called by the <see cref="KeepAliveClock"/> on each of its ticks.</summary>
    internal void KeepAliveTick()
    {
        if (IsClosing)
        {
            return;
        }

        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        var deadline = Volatile.Read(ref _pongDeadlineTicks);
        if (deadline != 0 && now >= deadline)
        {
            // No pong in time: the peer is gone (the same as the runtime's KeepAliveTimeout).
            AbortNow();
            return;
        }

        if (now - _lastPingTicks >= _keepAliveIntervalTicks - TimeSpan.TicksPerMillisecond * 10)
        {
            _lastPingTicks = now;
            if (deadline == 0)
            {
                Volatile.Write(ref _pongDeadlineTicks, now + _keepAliveTimeoutTicks);
            }

            Volatile.Write(ref _pingDue, 1);
            ScheduleFlush();
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        _keepAlive.Remove(this);
        _message.Dispose();
        _inflated?.Dispose();
        Interlocked.Exchange(ref _abort, null)?.Dispose();
        Written().TrySetResult();
    }
}
