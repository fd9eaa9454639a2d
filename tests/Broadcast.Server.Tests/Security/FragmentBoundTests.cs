using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Security;

/// <summary><c>MaxFragmentsPerMessage</c> bounds a message of empty fragments at the number it says, not at twice that.</summary>
public sealed class FragmentBoundTests
{
    private const int Bound = 100;

    /// <summary>Sends <paramref name="openFrames"/> empty frames that do not end the message, then one that ends it with a whole message.</summary>
    private static async Task SendAsync(RawWebSocket raw, int openFrames)
    {
        await raw.SendFrameAsync(RawWebSocket.Text, ReadOnlyMemory<byte>.Empty, fin: false);
        for (var i = 1; i < openFrames; i++)
        {
            await raw.SendFrameAsync(RawWebSocket.Continuation, ReadOnlyMemory<byte>.Empty, fin: false);
        }

        await raw.SendFrameAsync(RawWebSocket.Continuation, Encoding.UTF8.GetBytes("{\"message\":\"in fragments\"}"));
    }

    [Fact]
    public async Task Empty_fragments_up_to_the_bound_are_accepted_and_a_few_more_close_with_1008()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Limits:MaxFragmentsPerMessage"] = Bound.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var watcher = await server.ConnectAsync();

        await using (var within = await RawWebSocket.ConnectAsync(server.BaseAddress))
        {
            await SendAsync(within, Bound);
            Assert.Equal("in fragments", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
        }

        // Before, only every other empty fragment counted: up to twice the bound got through.
        await using var over = await RawWebSocket.ConnectAsync(server.BaseAddress);
        try
        {
            await SendAsync(over, Bound + 10);
        }
        catch (IOException)
        {
            // Closed while sending: that is the point.
        }

        var close = await over.ReceiveCloseAsync();
        Assert.Equal(1008, close?.CloseCode);
        Assert.Equal("too many fragments in one message", close?.Text);

        // Nothing of it was broadcast: the watcher's next message is the one sent after.
        await using var publisher = await server.ConnectAsync();
        await publisher.SendMessageAsync("after");
        Assert.Equal("after", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }
}
