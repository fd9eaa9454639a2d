using System.Buffers;
using System.Runtime.CompilerServices;

namespace Broadcast.Server.Transport;

/// <summary>A batch's pooled buffer, grown just for this batch when a frame does not fit (the pool takes the old one back).</summary>
internal static class BatchBuffer
{
    [MethodImpl(HotPath.Compile)]
    public static byte[] WithRoom(byte[] buffer, int length, int needed)
    {
        if (needed <= buffer.Length)
        {
            return buffer;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
