using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Cluster;

/// <summary>
/// Two nodes as real processes on one Redis, with clients on each and publishers keeping them busy, for
/// the Redis fault tests: everything a user would check before, during and after a fault.
/// </summary>
/// <remarks>
/// Per node: a v2 subscriber and a v2 publisher on channel <see cref="Channel"/>, a legacy client that
/// both sends and receives, and a v2 probe for requests made during the fault. The load loops publish
/// (paced, bounded in count) until <see cref="StopLoadAsync"/>, and record every reply.
/// </remarks>
internal sealed class FaultDrill : IAsyncDisposable
{
    public const string Channel = "drill";

    /// <summary>Longest a request may wait for its reply before it counts as a hang (the operation timeout is 1 s).</summary>
    private static readonly TimeSpan ReplyBound = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private readonly List<Node> _nodes = [];
    private readonly CancellationTokenSource _stopLoad = new();
    private readonly List<Task> _load = [];

    private FaultDrill()
    {
    }

    public IReadOnlyList<Node> Nodes => _nodes;

    /// <param name="operationTimeout">Broadcast:Redis:OperationTimeout of the nodes.</param>
    public static async Task<FaultDrill> StartAsync(RedisServer redis, TimeSpan operationTimeout)
    {
        var drill = new FaultDrill();
        try
        {
            var prefix = "drill" + Guid.NewGuid().ToString("N")[..8];
            for (var i = 0; i < 2; i++)
            {
                drill._nodes.Add(await Node.StartAsync(redis, prefix, operationTimeout, name: i == 0 ? "A" : "B"));
            }

            return drill;
        }
        catch
        {
            await drill.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until publications flow both ways between the nodes, on both protocols.</summary>
    public async Task WaitUntilDeliveringAcrossNodesAsync(string tag)
    {
        await DeliverAcrossAsync(_nodes[0], _nodes[1], tag + "-ab");
        await DeliverAcrossAsync(_nodes[1], _nodes[0], tag + "-ba");
    }

    /// <summary>Starts one publishing loop per node (v2 publishes with ids, and legacy sends).</summary>
    public void StartLoad()
    {
        foreach (var node in _nodes)
        {
            _load.Add(Task.Run(() => node.PublishLoopAsync(_stopLoad.Token)));
        }
    }

    public async Task StopLoadAsync()
    {
        await _stopLoad.CancelAsync();
        await Task.WhenAll(_load);
    }

    /// <summary>Every node answers /ready with <paramref name="status"/> (polled, the fault takes a moment to notice).</summary>
    public async Task WaitForReadinessAsync(HttpStatusCode status, TimeSpan timeout)
    {
        foreach (var node in _nodes)
        {
            await Eventually.TrueAsync(
                async () => await node.ReadinessAsync() == status,
                timeout,
                $"node {node.Name}'s /ready to answer {(int)status}");
        }
    }

    /// <summary>A publish on every node is acknowledged (retried while the node reconnects).</summary>
    public async Task WaitUntilPublishingWorksAsync()
    {
        foreach (var node in _nodes)
        {
            var attempt = 0;
            await Eventually.TrueAsync(async () => await node.TryPublishAsync($"works-{node.Name}-{Guid.NewGuid():N}-{++attempt}"), Generous, $"a publish on node {node.Name} to be acknowledged");
        }
    }

    /// <summary>Every node's publisher has been answered with an error since <paramref name="sinceCounts"/> was taken.</summary>
    public async Task WaitForPublishErrorsAsync(IReadOnlyList<int> sinceCounts, TimeSpan timeout)
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            var before = sinceCounts[i];
            await Eventually.TrueAsync(() => node.PublishErrors > before, timeout, $"node {node.Name}'s publisher to be told of the fault");
        }
    }

    public IReadOnlyList<int> PublishErrorCounts() => [.. _nodes.Select(n => n.PublishErrors)];

    /// <summary>Subscribe, history and presence during the fault: each answered with the engine's error, none closes the connection.</summary>
    public async Task RequestsDuringTheFaultGetTheEngineErrorAsync()
    {
        foreach (var node in _nodes)
        {
            await node.ExpectEngineErrorAsync(new { type = "subscribe", id = "s-fault", channel = "fault-" + node.Name });
            await node.ExpectEngineErrorAsync(new { type = "history", id = "h-fault", channel = Channel, since = 0 });
            await node.ExpectEngineErrorAsync(new { type = "presence", id = "p-fault", channel = Channel });
        }
    }

    /// <summary>Nothing a user relies on broke: processes up, no hang, every connection still open and never closed.</summary>
    public void AssertEverythingSurvived()
    {
        foreach (var node in _nodes)
        {
            node.AssertAlive();
            Assert.True(node.Hangs == 0, $"node {node.Name}: {node.Hangs} publishes got no reply within {ReplyBound}");
            Assert.True(node.UnexpectedReplies.IsEmpty, $"node {node.Name}: unexpected replies {string.Join(", ", node.UnexpectedReplies)}");
            foreach (var client in node.Clients)
            {
                Assert.True(
                    client.Socket.State == WebSocketState.Open,
                    $"a client of node {node.Name} is {client.Socket.State} ({client.Socket.CloseStatus}); the node logged:\n{node.Failures()}");
            }
        }
    }

    /// <summary>A v2 publication on <paramref name="from"/> reaches the v2 subscriber on <paramref name="to"/>, a legacy message likewise.</summary>
    private static async Task DeliverAcrossAsync(Node from, Node to, string marker)
    {
        // Publishing may fail for a moment while a node reconnects; the client retries with the same id.
        await Eventually.TrueAsync(async () => await from.TryPublishAsync(marker), Generous, $"a publish on node {from.Name} to be acknowledged");
        await ReceiveUntilAsync(to.Subscriber.Client, frame => frame.GetProperty("type").GetString() == "pub" && frame.GetProperty("message").GetString() == marker, $"node {to.Name}'s subscriber to receive {marker}");

        // Legacy clients get no ack: send again until one arrives (a send may meet a reconnecting node).
        var attempt = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                var text = $"{marker}-legacy-{++attempt}";
                await from.Legacy.SendMessageAsync(text);
                return await to.LegacyReceivedAsync(text, TimeSpan.FromSeconds(5));
            },
            Generous,
            $"a legacy message from node {from.Name} to reach node {to.Name}");
    }

    /// <summary>Reads frames (publications queued meanwhile, notices) until one matches; a close frame fails the test.</summary>
    private static async Task ReceiveUntilAsync(TestClient client, Func<JsonElement, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            var frame = await client.ReceiveAsync(remaining);
            Assert.True(frame.Type == WebSocketMessageType.Text, $"waiting for {what}, got a {frame.Type} frame ({frame.CloseStatus} {frame.CloseDescription})");
            if (match(frame.Json))
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopLoad.IsCancellationRequested)
        {
            await _stopLoad.CancelAsync();
        }

        try
        {
            await Task.WhenAll(_load);
        }
        catch (Exception)
        {
            // Already reported by the test that stopped the load.
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _stopLoad.Dispose();
    }

    /// <summary>One node process and its clients.</summary>
    internal sealed class Node : IAsyncDisposable
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _unexpected = new();
        private int _publishErrors;
        private int _hangs;

        private Node(string name, ServerProcess process, Uri address)
        {
            Name = name;
            Process = process;
            Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            WebSocketUri = new Uri($"ws://{address.Authority}/ws/events");
        }

        public string Name { get; }

        public ServerProcess Process { get; }

        public HttpClient Http { get; }

        public Uri WebSocketUri { get; }

        public ExtendedClient Subscriber { get; private set; } = null!;

        public ExtendedClient Publisher { get; private set; } = null!;

        public ExtendedClient Probe { get; private set; } = null!;

        public TestClient Legacy { get; private set; } = null!;

        public IEnumerable<TestClient> Clients => [Subscriber.Client, Publisher.Client, Probe.Client, Legacy];

        public int PublishErrors => Volatile.Read(ref _publishErrors);

        public int Hangs => Volatile.Read(ref _hangs);

        public System.Collections.Concurrent.ConcurrentQueue<string> UnexpectedReplies => _unexpected;

        public static async Task<Node> StartAsync(RedisServer redis, string prefix, TimeSpan operationTimeout, string name)
        {
            var process = ServerProcess.Start(new Dictionary<string, string>
            {
                ["Broadcast__Engine"] = "Redis",
                ["Broadcast__Redis__Configuration"] = redis.Configuration,
                ["Broadcast__Redis__Prefix"] = prefix,
                ["Broadcast__Redis__OperationTimeout"] = operationTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                ["Broadcast__Limits__PublishRatePerSecond"] = "0",
                ["Broadcast__Auth__AnonymousSubscribe"] = "*",
                ["Broadcast__Auth__AnonymousPublish"] = "*",
                ["Logging__LogLevel__Default"] = "Warning",
            });
            Uri address;
            try
            {
                address = await process.WaitUntilListeningAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }

            var node = new Node(name, process, address);
            node.Subscriber = await ExtendedClient.ConnectAsync(node.WebSocketUri, name: "subscriber-" + name);
            await node.Subscriber.SubscribeAsync(Channel);
            node.Publisher = await ExtendedClient.ConnectAsync(node.WebSocketUri, name: "publisher-" + name);
            node.Probe = await ExtendedClient.ConnectAsync(node.WebSocketUri, name: "probe-" + name);
            node.Legacy = await TestClient.ConnectAsync(node.WebSocketUri);
            return node;
        }

        public async Task<HttpStatusCode> ReadinessAsync()
        {
            using var response = await Http.GetAsync("/ready");
            return response.StatusCode;
        }

        /// <summary>The node's error lines, for a failure message.</summary>
        public string Failures() => string.Join('\n', Process.Output.Split('\n').Where(line => (line.Contains("fail:", StringComparison.Ordinal) && !line.Contains("HealthCheck", StringComparison.Ordinal)) || line.Contains("crit:", StringComparison.Ordinal)).Take(10));

        public void AssertAlive() => Assert.False(Process.HasExited, $"node {Name} exited ({(Process.HasExited ? Process.ExitCode : 0)}):\n{Process.Output}");

        /// <summary>Publishes, paced and bounded, until stopped; counts acks and errors, notes anything else.</summary>
        public async Task PublishLoopAsync(CancellationToken stop)
        {
            for (var i = 1; i <= 4000 && !stop.IsCancellationRequested; i++)
            {
                var id = $"load-{Name}-{i}";
                await Publisher.SendAsync(new { type = "publish", id, channel = Channel, message = id });
                await Legacy.SendMessageAsync(id);
                JsonElement reply;
                try
                {
                    reply = await Publisher.Client.ReceiveJsonAsync(ReplyBound);
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref _hangs);
                    return;
                }
                catch (InvalidOperationException)
                {
                    _unexpected.Enqueue("the connection ended");
                    return;
                }

                switch (reply.GetProperty("type").GetString())
                {
                    case "ack":
                        break;
                    case "error" when IsPublishFailure(reply):
                        Interlocked.Increment(ref _publishErrors);
                        break;
                    default:
                        _unexpected.Enqueue(reply.ToString());
                        break;
                }

                try
                {
                    // Pacing, so two loops leave the shared machine room for the nodes themselves.
                    await Task.Delay(25, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        /// <summary>Publishes once; true when acknowledged, false on an engine error.</summary>
        public async Task<bool> TryPublishAsync(string message)
        {
            await Probe.SendAsync(new { type = "publish", id = message, channel = Channel, message });
            var reply = await Probe.Client.ReceiveJsonAsync(ReplyBound);
            if (reply.GetProperty("type").GetString() == "ack")
            {
                return true;
            }

            Assert.True(IsPublishFailure(reply), $"node {Name} answered {reply}");
            return false;
        }

        public async Task ExpectEngineErrorAsync(object request)
        {
            await Probe.SendAsync(request);
            var reply = await Probe.Client.ReceiveJsonAsync(ReplyBound);
            Assert.True(IsEngineError(reply), $"node {Name} answered {JsonSerializer.Serialize(request)} with {reply}");
        }

        /// <summary>Reads the legacy client's frames until <paramref name="text"/> arrives (true) or the wait runs out (false).</summary>
        public async Task<bool> LegacyReceivedAsync(string text, TimeSpan wait)
        {
            var deadline = DateTime.UtcNow + wait;
            while (DateTime.UtcNow < deadline)
            {
                ReceivedFrame frame;
                try
                {
                    frame = await Legacy.ReceiveAsync(deadline - DateTime.UtcNow);
                }
                catch (TimeoutException)
                {
                    return false;
                }

                Assert.True(frame.Type == WebSocketMessageType.Text, $"node {Name}'s legacy client got a {frame.Type} frame ({frame.CloseStatus} {frame.CloseDescription})");
                if (frame.Json.TryGetProperty("message", out var message) && message.GetString() == text)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The engine's documented failure of a request other than a publish.</summary>
        private static bool IsEngineError(JsonElement reply) =>
            reply.GetProperty("type").GetString() == "error" && reply.GetProperty("code").GetString() == "engine_unavailable";

        /// <summary>
        /// A publish's documented failures: <c>engine_unavailable</c> when it was never sent, <c>publish_unknown</c>
        /// when Redis may have run it (a stall, or a kill with the command in flight). RedisOutcomeTests checks which is which.
        /// </summary>
        private static bool IsPublishFailure(JsonElement reply) =>
            reply.GetProperty("type").GetString() == "error" && reply.GetProperty("code").GetString() is "engine_unavailable" or "publish_unknown";

        public async ValueTask DisposeAsync()
        {
            foreach (var client in new IAsyncDisposable?[] { Subscriber, Publisher, Probe, Legacy })
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }

            Http.Dispose();
            await Process.DisposeAsync();
        }
    }
}
