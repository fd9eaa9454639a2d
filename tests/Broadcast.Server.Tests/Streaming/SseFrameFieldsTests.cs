using System.Text;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol.V2;
using Broadcast.Server.Transport.ServerSentEvents;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>What the SSE writer reads of a frame to keep each channel's position, by the fast path and by the JSON reader alike.</summary>
public sealed class SseFrameFieldsTests
{
    [Theory]
    [InlineData("room")]
    [InlineData("@user:alice/inbox.1")]
    public void A_publication_frame_of_the_extended_protocol_gives_its_channel_epoch_and_offset(string channel)
    {
        var frame = ServerFrames.Publication(new Publication(channel, "9f3c1a2b4c5d6e7f", 12345678901, "p_origin", DateTime.UtcNow, "say \\\"hi\\\"\\n"u8.ToArray()));
        var fields = SseFrameFields.Read(frame);
        Assert.Equal("pub", Encoding.UTF8.GetString(fields.Type));
        Assert.Equal(channel, Encoding.UTF8.GetString(fields.Channel));
        Assert.Equal("9f3c1a2b4c5d6e7f", Encoding.UTF8.GetString(fields.Epoch));
        Assert.Equal(12345678901, fields.Offset);
        Assert.True(fields.HasOffset);
    }

    [Fact]
    public void Fields_in_another_order_are_read_by_the_json_reader()
    {
        var fields = SseFrameFields.Read("""{"epoch":"e1","offset":7,"channel":"room","type":"subscribed","recovered":true,"missed":2}"""u8);
        Assert.Equal("subscribed", Encoding.UTF8.GetString(fields.Type));
        Assert.Equal("room", Encoding.UTF8.GetString(fields.Channel));
        Assert.Equal("e1", Encoding.UTF8.GetString(fields.Epoch));
        Assert.Equal(7, fields.Offset);
        Assert.True(fields.Recovered);

        var reordered = SseFrameFields.Read("""{"type":"pub","offset":3,"channel":"a","epoch":"e2","message":"x"}"""u8);
        Assert.Equal(("pub", "a", "e2", 3L), (Encoding.UTF8.GetString(reordered.Type), Encoding.UTF8.GetString(reordered.Channel), Encoding.UTF8.GetString(reordered.Epoch), reordered.Offset));
    }

    [Fact]
    public void Something_that_is_not_json_gives_no_fields_and_no_exception()
    {
        var fields = SseFrameFields.Read("not json"u8);
        Assert.True(fields.Type.IsEmpty);
        Assert.True(fields.Channel.IsEmpty);
    }
}
