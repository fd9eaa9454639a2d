using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// A <see cref="PipeReader"/> straight over a socket the server owns (no Kestrel connection under it). It
/// waits for data with a zero-byte receive, so an idle connection holds no buffer; a buffer is rented only
/// while bytes are pending (a partial frame held by the reader) and returned as soon as everything received
/// was consumed. One reader at a time, as for any <see cref="PipeReader"/>.
/// </summary>
internal sealed class SocketPipeReader(Socket socket) : PipeReader
{
    /// <summary>What one receive asks for: a frame header or a control frame fits many times over; payload is copied out as it arrives.</summary>
    private const int ReceiveBytes = 4096;

    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _examinedAll;
    private bool _ended;
    private int _cancelRequested;

    // The sequence last handed out: AdvanceTo's positions point into it.
    private ReadOnlySequence<byte> _handedOut;

    public override bool TryRead(out ReadResult result)
    {
        if ((_end > _start && !_examinedAll) || _ended || Volatile.Read(ref _cancelRequested) != 0)
        {
            result = Result();
            return true;
        }

        result = default;
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryRead(out var ready))
            {
                return ready;
            }

            try
            {
                if (_end == _start)
                {
                    // Nothing held: give the buffer back and wait without one.
                    ReturnBuffer();
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    _buffer = ArrayPool<byte>.Shared.Rent(ReceiveBytes);
                }
                else
                {
                    MakeRoom();
                }

                var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    _ended = true;
                }
                else
                {
                    _end += received;
                    _examinedAll = false;
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Reset, aborted or closed under the reader: the connection has ended, as a completed pipe says.
                _ended = true;
            }
        }
    }

    /// <summary>
    /// With nothing held, completes once bytes arrive (or the peer goes): the wait is the socket's own
    /// zero-byte receive, so a connection idle in it holds no state of this reader's (no suspended read, no
    /// buffer); <see cref="ReadAsync"/> then returns without waiting. With a partial frame held it completes
    /// at once (<see cref="ReadAsync"/> waits for the rest). Throws what the socket throws when it was reset
    /// or closed; <see cref="ReadAsync"/> then reports the end.
    /// </summary>
    public ValueTask<int> WaitForDataAsync() =>
        _end > _start || _ended || Volatile.Read(ref _cancelRequested) != 0
            ? new ValueTask<int>(0)
            : socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var length = _end - _start;
        var consumedBytes = (int)_handedOut.Slice(_handedOut.Start, consumed).Length;
        var examinedBytes = (int)_handedOut.Slice(_handedOut.Start, examined).Length;
        _examinedAll = examinedBytes >= length;
        _start += consumedBytes;
        if (_start == _end)
        {
            _start = _end = 0;
            _examinedAll = false;
            ReturnBuffer();
        }
    }

    /// <summary>Makes the next read return at once, canceled, once its receive completes (a pending receive is not interrupted: abort the socket for that).</summary>
    public override void CancelPendingRead() => Volatile.Write(ref _cancelRequested, 1);

    public override void Complete(Exception? exception = null)
    {
        _ended = true;
        _start = _end = 0;
        ReturnBuffer();
    }

    private ReadResult Result()
    {
        var canceled = Interlocked.Exchange(ref _cancelRequested, 0) != 0;
        _handedOut = _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
        return new ReadResult(_handedOut, canceled, _ended);
    }

    /// <summary>The reader examined everything and wants more: move what is held to the front, or grow when it fills the buffer.</summary>
    private void MakeRoom()
    {
        var buffer = _buffer!;
        var held = _end - _start;
        if (_end < buffer.Length)
        {
            return;
        }

        if (held * 2 > buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(_start, held).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = larger;
        }
        else
        {
            buffer.AsSpan(_start, held).CopyTo(buffer);
        }

        _start = 0;
        _end = held;
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _handedOut = default;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
