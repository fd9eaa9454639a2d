using System.Globalization;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// Two ordinary legacy clients on <c>events</c>, one publishing and one watching, in lockstep for as long as an
/// attack lasts: each message must reach the watcher, in order, before the next is sent, so a lost message or
/// a stall fails the test (after <see cref="TestClient.DefaultTimeout"/>) rather than going unnoticed.
/// </summary>
internal sealed class LockstepWatcher : IAsyncDisposable
{
    private readonly TestClient _publisher;
    private readonly TestClient _watcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private int _delivered;

    private LockstepWatcher(TestClient publisher, TestClient watcher)
    {
        _publisher = publisher;
        _watcher = watcher;
        _running = Task.Run(RunAsync);
    }

    /// <summary>Messages the watcher has received so far, every one in order.</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    public static async Task<LockstepWatcher> StartAsync(Uri webSocketUri)
    {
        var publisher = await TestClient.ConnectAsync(webSocketUri);
        var watcher = await TestClient.ConnectAsync(webSocketUri);
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
            await _publisher.SendMessageAsync(text);
            var received = (await _watcher.ReceiveJsonAsync()).GetProperty("message").GetString();
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
