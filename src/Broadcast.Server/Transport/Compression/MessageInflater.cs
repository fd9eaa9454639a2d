using System.Buffers;
using System.IO.Compression;

namespace Broadcast.Server.Transport.Compression;

/// <summary>
/// Inflates one message a client sent compressed (RFC 7692 section 7.2.2: the 00 00 ff ff the sender removed
/// is appended again) into a <see cref="MessageBuffer"/>, never past its limit: a few bytes that would inflate
/// to gigabytes stop at the limit plus one byte.
/// </summary>
internal static class MessageInflater
{
    private static ReadOnlySpan<byte> SyncFlushTail => [0x00, 0x00, 0xFF, 0xFF];

    public static InflateOutcome Inflate(ReadOnlySpan<byte> compressed, MessageBuffer into)
    {
        var length = compressed.Length + SyncFlushTail.Length;
        var input = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            compressed.CopyTo(input);
            SyncFlushTail.CopyTo(input.AsSpan(compressed.Length));
            using var source = new MemoryStream(input, 0, length, writable: false);
            using var inflate = new DeflateStream(source, CompressionMode.Decompress);
            while (true)
            {
                var space = into.GetFreeSpace();
                if (space.IsEmpty)
                {
                    return InflateOutcome.TooBig;
                }

                var read = inflate.Read(space.Span);
                if (read == 0)
                {
                    return InflateOutcome.Inflated;
                }

                into.Advance(read);
                if (into.IsOverLimit)
                {
                    return InflateOutcome.TooBig;
                }
            }
        }
        catch (InvalidDataException)
        {
            return InflateOutcome.Invalid;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
