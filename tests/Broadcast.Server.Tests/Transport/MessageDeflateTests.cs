using System.Text;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.Compression;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Transport;

/// <summary>One message compressed and inflated as permessage-deflate without context takeover (RFC 7692 section 7.2).</summary>
public sealed class MessageDeflateTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("{\"message\":\"" + string.Concat(Enumerable.Repeat("the same words again and again, ", 40)) + "\",\"timestamp\":\"2026-12-02T11:00:00.000Z\"}");

    [Fact]
    public void A_compressed_message_is_shorter_lacks_the_flush_tail_and_inflates_to_the_same_bytes()
    {
        var compressed = MessageDeflater.Compress(Json, System.IO.Compression.CompressionLevel.Fastest);
        Assert.InRange(compressed.Length, 1, Json.Length / 2);
        Assert.False(compressed.AsSpan().EndsWith((byte[])[0x00, 0x00, 0xFF, 0xFF]));

        // Read by an independent inflater, the way a client library reads it.
        Assert.Equal(Json, ClientDeflate.Inflate(compressed));
    }

    [Fact]
    public void A_message_that_does_not_get_shorter_is_left_uncompressed()
    {
        Assert.Empty(MessageDeflater.Compress("{}"u8, System.IO.Compression.CompressionLevel.Fastest));
    }

    [Fact]
    public void A_client_message_inflates_within_the_limit_and_one_past_it_stops_at_the_limit()
    {
        using var buffer = new MessageBuffer(Json.Length);
        Assert.Equal(InflateOutcome.Inflated, MessageInflater.Inflate(ClientDeflate.Compress(Json), buffer));
        Assert.Equal(Json, buffer.Written.ToArray());

        // A megabyte of one letter is about a kilobyte compressed: refused without inflating it all.
        using var small = new MessageBuffer(4096);
        var bomb = ClientDeflate.Compress(Encoding.UTF8.GetBytes(new string('a', 1024 * 1024)));
        Assert.InRange(bomb.Length, 1, 4096);
        Assert.Equal(InflateOutcome.TooBig, MessageInflater.Inflate(bomb, small));
        Assert.Equal(4097, small.Length);
    }

    [Fact]
    public void Invalid_deflate_data_is_reported()
    {
        using var buffer = new MessageBuffer(4096);
        // BTYPE 11 is reserved: no inflater accepts it.
        Assert.Equal(InflateOutcome.Invalid, MessageInflater.Inflate((byte[])[0xFF, 0xFF, 0xFF], buffer));
    }
}
