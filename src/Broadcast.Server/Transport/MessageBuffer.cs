using System.Buffers;

namespace Broadcast.Server.Transport;

/// <summary>
/// Collects the fragments of one inbound message in pooled memory, up to the size limit. Starts small
/// and grows, so a connection that only sends short messages never holds a large buffer, and an idle
/// connection holds none.
/// </summary>
internal sealed class MessageBuffer(int limit) : IDisposable
{
    private const int InitialSize = 4096;
    private byte[]? _buffer;
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>The message so far, as memory (valid until <see cref="Reset"/>).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>Room for the next read. One byte past the limit is allowed so an overflow is detectable.</summary>
    public Memory<byte> GetFreeSpace()
    {
        var capacity = limit + 1;
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialSize, capacity));
        }
        else if (_length == _buffer.Length && _buffer.Length < capacity)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, capacity));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsMemory(_length, Math.Min(_buffer.Length, capacity) - _length);
    }

    public void Advance(int count) => _length += count;

    public bool IsOverLimit => _length > limit;

    /// <summary>Forgets the current message and gives the memory back to the pool.</summary>
    public void Reset()
    {
        _length = 0;
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    public void Dispose() => Reset();
}
