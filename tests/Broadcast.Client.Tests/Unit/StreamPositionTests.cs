namespace Broadcast.Client.Tests.Unit;

public sealed class StreamPositionTests
{
    [Fact]
    public void Publications_at_or_below_the_position_in_the_same_epoch_are_duplicates()
    {
        var position = new StreamPosition();
        position.Reset("e1", 10);

        Assert.True(position.Accept("e1", 11));
        Assert.False(position.Accept("e1", 11));
        Assert.False(position.Accept("e1", 5));
        Assert.True(position.Accept("e1", 13));
        Assert.Equal(13, position.Offset);
    }

    [Fact]
    public void A_new_epoch_starts_a_new_stream()
    {
        var position = new StreamPosition();
        position.Reset("e1", 10);

        Assert.True(position.Accept("e2", 1));
        Assert.Equal(("e2", 1L), (position.Epoch, position.Offset));
    }

    [Fact]
    public void Own_acknowledged_offsets_advance_the_position_only_when_contiguous()
    {
        var position = new StreamPosition();
        position.Reset("e1", 10);

        position.Acknowledged("e1", 12);
        Assert.Equal(10, position.Offset);

        // 11 (someone else's) arrives after the ack of 12: it is not a duplicate, and fills the gap.
        Assert.True(position.Accept("e1", 11));
        Assert.Equal(12, position.Offset);

        position.Acknowledged("e1", 13);
        Assert.Equal(13, position.Offset);

        position.Acknowledged("e0", 20);
        position.Acknowledged("e1", 3);
        Assert.Equal(13, position.Offset);
    }

    [Fact]
    public void Reset_keeps_own_offsets_of_the_same_epoch_that_are_still_ahead()
    {
        var position = new StreamPosition();
        position.Reset("e1", 0);
        position.Acknowledged("e1", 6);

        position.Reset("e1", 5);
        Assert.Equal(6, position.Offset);

        position.Acknowledged("e1", 8);
        position.Reset("e2", 7);
        Assert.Equal(7, position.Offset);
    }
}
