using System.Diagnostics;
using Broadcast.Testing;
using Xunit.Abstractions;

namespace Broadcast.Client.Tests;

/// <summary>
/// Many disconnects at random moments while publications flow: in the end every subscriber has every
/// publication of others exactly once and in order, and every publication was published once.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int RequiredCycles = 200;
    private const int MaxPublicationsPerPublisher = 20_000;
    private static readonly string[] Channels = ["soak-a", "soak-b", "soak-c"];

    [Fact]
    public async Task Subscribers_that_drop_and_resume_at_random_receive_every_publication_exactly_once_in_order()
    {
        var stopwatch = Stopwatch.StartNew();
        await using var server = await RunningServer.StartAsync();
        var random = new Random(20261126);
        var peers = new List<Peer>();
        try
        {
            // Two clients publish (and subscribe too); four only subscribe. Everyone gets dropped.
            for (var i = 0; i < 6; i++)
            {
                peers.Add(await Peer.StartAsync(server, $"peer{i}", seed: i + 1, publishes: i < 2));
            }

            using var stop = new CancellationTokenSource();
            var publishing = peers.Where(p => p.Publishes).Select(p => p.PublishAsync(stop.Token)).ToList();

            // Drop a random connected peer every few milliseconds, until enough connections were cut.
            var cycles = 0;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (cycles < RequiredCycles)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var peer = peers[random.Next(peers.Count)];
                if (peer.Client.State == ConnectionState.Connected && peer.Client.AbortConnection())
                {
                    cycles++;
                }

                await Task.Delay(random.Next(2, 12), deadline.Token);
            }

            await stop.CancelAsync();
            await Task.WhenAll(publishing).WaitAsync(TimeSpan.FromSeconds(30));

            // Every publication was published exactly once: the acks of both publishers are 1..N per channel.
            var totals = new Dictionary<string, long>();
            foreach (var channel in Channels)
            {
                var acked = peers.SelectMany(p => p.Acked(channel)).Select(a => a.Offset).Order().ToList();
                Assert.Equal(Enumerable.Range(1, acked.Count).Select(i => (long)i), acked);
                totals[channel] = acked.Count;
            }

            await Eventually.TrueAsync(() => peers.All(p => p.HasEverything(totals)), TimeSpan.FromSeconds(60), "every peer to have every publication");

            var messages = peers.SelectMany(p => Channels.SelectMany(c => p.Acked(c).Select(a => ((c, a.Offset), a.Message)))).ToDictionary(x => x.Item1, x => x.Message);
            foreach (var peer in peers)
            {
                peer.AssertExactlyOnceInOrder(totals, messages);
            }

            var publications = totals.Values.Sum();
            var deliveries = peers.Sum(p => p.Deliveries);
            output.WriteLine(
                $"soak: {cycles} disconnect/resume cycles, {publications} publications on {Channels.Length} channels, {deliveries} deliveries to {peers.Count} clients, " +
                $"{peers.Sum(p => p.LostAcks)} acks lost, {peers.Sum(p => p.Duplicates)} retried publishes acked as duplicates, {peers.Sum(p => p.Recoveries)} recoveries, {stopwatch.Elapsed.TotalSeconds:F1} s");
            Assert.All(peers, p => Assert.Equal(0, p.RecoveryFailures));
            Assert.True(peers.Sum(p => p.Duplicates) > 0, "No retry was acknowledged as a duplicate.");
            Assert.True(cycles >= RequiredCycles);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    /// <summary>One client: subscribed to every channel, reading in the background; maybe publishing.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private readonly Dictionary<string, List<Publication>> _received = [];
        private readonly Dictionary<string, List<PublishResultWithMessage>> _acked = [];
        private readonly List<Task> _readers = [];
        private readonly string _name;
        private int _recoveries;
        private int _recoveryFailures;
        private int _duplicates;
        private int _lostAcks;

        private Peer(BroadcastClient client, string name, bool publishes)
        {
            Client = client;
            _name = name;
            Publishes = publishes;
            foreach (var channel in Channels)
            {
                _received[channel] = [];
                _acked[channel] = [];
            }

            if (publishes)
            {
                // Every 25th ack is lost with its connection, so retries and the server's dedup are exercised
                // on top of the random drops.
                var acks = 0;
                client.InboundFilter = frame =>
                {
                    if (frame.String("type") == "ack" && Interlocked.Increment(ref acks) % 25 == 0)
                    {
                        Interlocked.Increment(ref _lostAcks);
                        client.AbortConnection();
                        return false;
                    }

                    return true;
                };
            }

            client.Recovered += (_, _) => Interlocked.Increment(ref _recoveries);
            client.RecoveryFailed += (_, _) => Interlocked.Increment(ref _recoveryFailures);
        }

        public BroadcastClient Client { get; }

        public bool Publishes { get; }

        public int Recoveries => Volatile.Read(ref _recoveries);

        public int RecoveryFailures => Volatile.Read(ref _recoveryFailures);

        public int Duplicates => Volatile.Read(ref _duplicates);

        public int LostAcks => Volatile.Read(ref _lostAcks);

        public int Deliveries
        {
            get
            {
                lock (_received)
                {
                    return _received.Values.Sum(list => list.Count);
                }
            }
        }

        public static async Task<Peer> StartAsync(RunningServer server, string name, int seed, bool publishes)
        {
            var peer = new Peer(await TestClients.ConnectAsync(server, name, seed), name, publishes);
            foreach (var channel in Channels)
            {
                var subscription = await peer.Client.SubscribeAsync(channel);
                peer._readers.Add(peer.ReadAsync(subscription));
            }

            return peer;
        }

        public IReadOnlyList<PublishResultWithMessage> Acked(string channel)
        {
            lock (_received)
            {
                return [.. _acked[channel]];
            }
        }

        /// <summary>Publishes round-robin over the channels, one at a time, until stopped.</summary>
        public async Task PublishAsync(CancellationToken stop)
        {
            // Yield so both publishers start without waiting for each other.
            await Task.Yield();
            for (var i = 0; i < MaxPublicationsPerPublisher && !stop.IsCancellationRequested; i++)
            {
                var channel = Channels[i % Channels.Length];
                var message = $"{_name}:{i}";
                // Not cancelled by stop: a publication once started is seen through to its ack.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var result = await Client.PublishAsync(channel, message, timeout.Token);
                if (result.Duplicate)
                {
                    Interlocked.Increment(ref _duplicates);
                }

                lock (_received)
                {
                    _acked[channel].Add(new PublishResultWithMessage(result.Offset, message));
                }

                // A moderate rate keeps every outage far inside the default history of 1000.
                await Task.Delay(1, CancellationToken.None);
            }
        }

        public bool HasEverything(IReadOnlyDictionary<string, long> totals)
        {
            lock (_received)
            {
                return Channels.All(c => _received[c].Count + _acked[c].Select(a => a.Offset).Distinct().Count() >= totals[c]);
            }
        }

        public void AssertExactlyOnceInOrder(IReadOnlyDictionary<string, long> totals, IReadOnlyDictionary<(string, long), string> messages)
        {
            lock (_received)
            {
                foreach (var channel in Channels)
                {
                    var received = _received[channel];
                    var offsets = received.Select(p => p.Offset).ToList();
                    for (var i = 1; i < offsets.Count; i++)
                    {
                        Assert.True(offsets[i] > offsets[i - 1], $"{_name} {channel}: offset {offsets[i]} after {offsets[i - 1]}");
                    }

                    var own = _acked[channel].Select(a => a.Offset).ToHashSet();
                    Assert.DoesNotContain(offsets, own.Contains);
                    Assert.Equal(Enumerable.Range(1, (int)totals[channel]).Select(i => (long)i), offsets.Concat(own).Order());
                    Assert.All(received, p => Assert.Equal(messages[(channel, p.Offset)], p.Message));
                }
            }
        }

        private async Task ReadAsync(Subscription subscription)
        {
            await foreach (var publication in subscription.ReadAllAsync())
            {
                lock (_received)
                {
                    _received[subscription.Channel].Add(publication);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Task.WhenAll(_readers);
        }
    }

    private sealed record PublishResultWithMessage(long Offset, string Message);
}
