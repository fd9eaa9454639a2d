using System.Globalization;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// Two ordinary clients on the channel <see cref="Channel"/>, one publishing and one watching, in lockstep for
/// as long as an attack lasts: each message must reach the watcher, in order, before the next is sent, so a lost
/// message or a stall fails the test (after <see cref="TestClient.DefaultTimeout"/>) rather than going unnoticed.
/// A channel of their own: an attacker on <c>events</c> (every legacy client is) must not be cut off for
/// the watcher's publications it does not read, but for what it asked for itself.
/// </summary>
internal sealed class LockstepWatcher : IAsyncDisposable
{
    public const string Channel = "watch";

    private readonly ExtendedClient _publisher;
    private readonly ExtendedClient _watcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private int _delivered;

    private LockstepWatcher(ExtendedClient publisher, ExtendedClient watcher)
    {
        _publisher = publisher;
        _watcher = watcher;
        _running = Task.Run(RunAsync);
    }

    /// <summary>Messages the watcher has received so far, every one in order.</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    public static async Task<LockstepWatcher> StartAsync(Uri webSocketUri)
    {
        var publisher = await ExtendedClient.ConnectAsync(webSocketUri);
        var watcher = await ExtendedClient.ConnectAsync(webSocketUri);
        await watcher.SubscribeAsync(Channel);
        return new LockstepWatcher(publisher, watcher);
    }

    /// <summary>Stops after the message in flight and returns how many arrived; throws if one was lost or stalled.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
        return Delivered;
    }

    private async Task RunAsync()
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var text = "watch " + n.ToString(CultureInfo.InvariantCulture);
            await _publisher.SendAsync(new { type = "publish", channel = Channel, message = text });
            var received = (await _watcher.ReceiveAsync("pub")).GetProperty("message").GetString();
            Assert.Equal(text, received);
            Volatile.Write(ref _delivered, n + 1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (Exception ex) when (ex is TimeoutException or Xunit.Sdk.XunitException or InvalidOperationException)
        {
            // Already reported by StopAsync, or the test failed elsewhere first.
        }

        await _publisher.DisposeAsync();
        await _watcher.DisposeAsync();
        _stop.Dispose();
    }
}
