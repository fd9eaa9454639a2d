using System.Text;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The part of the engine contract that needs several nodes sharing channels (the in-memory engine is one
/// node): routing between nodes, and presence seen from another node.
/// </summary>
public abstract class DistributedEngineContractTests : EngineContractTests
{
    protected override Task<EngineNode> WatcherOfAsync(EngineNode node) => NodeAsync();

    [Fact]
    public async Task Publications_reach_every_node_that_subscribed_and_stop_once_it_unsubscribed()
    {
        var (publisher, subscriber) = (await NodeAsync(), await NodeAsync());
        var channel = Channel();
        await subscriber.SubscribeAsync(channel);
        await publisher.Stream.PublishAsync(channel, "origin", null, Message("first"), CancellationToken.None);
        await subscriber.Listener.WaitForAsync(() => subscriber.Listener.Publications(channel).Count == 1, Wait, "the first publication on the other node");
        Assert.Empty(publisher.Listener.Publications(channel));

        await subscriber.UnsubscribeAsync(channel);
        await publisher.Stream.PublishAsync(channel, "origin", null, Message("second"), CancellationToken.None);

        // A third node subscribing afterwards proves the second publication was delivered by then.
        var late = await NodeAsync();
        await late.SubscribeAsync(channel);
        await publisher.Stream.PublishAsync(channel, "origin", null, Message("third"), CancellationToken.None);
        await late.Listener.WaitForAsync(() => late.Listener.Publications(channel).Count == 1, Wait, "the third publication on the late node");
        Assert.Equal(["first"], subscriber.Listener.Publications(channel).Select(p => Encoding.UTF8.GetString(p.EscapedMessage)));
    }
}
