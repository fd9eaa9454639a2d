using Broadcast.Server.Tests.Http;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// The server in its own process, as an attacker meets it: its memory is its own (what <c>/metrics</c> reports
/// is not mixed with the test's clients or with other tests running alongside), and its defaults are the
/// shipped ones except what a test names.
/// </summary>
internal sealed class AttackedServer : IAsyncDisposable
{
    private AttackedServer(ServerProcess process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public ServerProcess Process { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public Uri WebSocketUri => new($"ws://{BaseAddress.Authority}/ws/events");

    /// <summary>A channel only attacks use, besides <c>events</c> (where every legacy client is).</summary>
    public const string Lobby = "lobby";

    public static async Task<AttackedServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            // The lockstep watcher publishes as fast as it receives; the per-connection budget is not under test.
            ["Broadcast__Limits__PublishRatePerSecond"] = "0",

            // Nor is the request budget (RequestRateLimitTests cover it): these attacks are about the queue's byte
            // bound, which must hold where an operator raises or turns off the request limit too.
            ["Broadcast__Limits__RequestRatePerSecond"] = "0",

            // The default channel, plus the watcher's channel and one for attacks that must not see the watcher's publications.
            ["Broadcast__Auth__AnonymousSubscribe"] = $"events,{LockstepWatcher.Channel},{Lobby}",
            ["Broadcast__Auth__AnonymousPublish"] = $"events,{LockstepWatcher.Channel},{Lobby}",

            // A client cut off as a slow consumer gets its close frame once it reads again; here it reads only
            // at the end of the test, so the close must not give up (and abort) before then.
            ["Broadcast__CloseTimeout"] = "00:01:00",
        };
        var process = ServerProcess.Start(environment);
        var address = await process.WaitUntilListeningAsync();
        return new AttackedServer(process, address);
    }

    /// <summary>Connects a raw client that will never read unless told to (its socket buffers fill, then its queue).</summary>
    public Task<RawWebSocket> ConnectSilentAsync(bool extended) =>
        RawWebSocket.ConnectAsync(BaseAddress, extraHeaders: extended ? "Sec-WebSocket-Protocol: broadcast.v2\r\n" : null);

    public Task<PrometheusScrape> ScrapeAsync() => PrometheusScrape.FetchAsync(Http);

    /// <summary>The server process's resident memory, as the runtime reports it.</summary>
    public async Task<double> WorkingSetAsync() => (await ScrapeAsync()).Sum("dotnet_process_memory_working_set_bytes");

    public async Task<double> SlowConsumersAsync() => (await ScrapeAsync()).Sum("broadcast_server_slow_consumer_disconnects_total");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
    }
}
