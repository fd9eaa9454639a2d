using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Redis;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Engines;

/// <summary>The engine contract on one Redis; losing the data is a restart of Redis without persistence.</summary>
public sealed class RedisEngineContractTests : RedisContractTests
{
    private RedisServer? _redis;

    private RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis has not started.");

    protected override IEnumerable<RedisServer> Servers => [Redis];

    public override async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    protected override RedisOptions Deployment() => new() { Configuration = Redis.Configuration };

    protected override string ConfigurationOf(string channel) => Redis.Configuration;

    protected override async Task<EngineNode> LoseDataAsync(EngineNode node)
    {
        // Restarted without persistence: every key is gone. The same node carries on once it reconnected.
        await Redis.StopAsync();
        await Redis.StartAgainAsync();
        await Eventually.TrueAsync(async () => await node.Stream.IsAvailableAsync(CancellationToken.None), TimeSpan.FromSeconds(30), "the engine to reconnect");
        return node;
    }

    protected override async Task<bool> MakeUnavailableAsync()
    {
        await Redis.StopAsync();
        return true;
    }

    protected override Task<IAsyncDisposable?> StallAsync() => PauseAllAsync();

    /// <summary>
    /// A join puts its channel in the sweep's index before it stores the member, so a node that dies right after a
    /// join (before its first refresh) leaves a member the sweep can still find and report. Checked in the order
    /// Redis ran the commands (MONITOR lists a script's commands too).
    /// </summary>
    [Fact]
    public async Task A_join_puts_its_channel_in_the_sweep_index_before_it_stores_the_member()
    {
        using var monitor = new System.Net.Sockets.TcpClient();
        await monitor.ConnectAsync("127.0.0.1", Redis.Port);
        var stream = monitor.GetStream();
        await stream.WriteAsync("MONITOR\r\n"u8.ToArray());
        using var lines = new StreamReader(stream);
        using var deadline = new CancellationTokenSource(Wait);
        Assert.Equal("+OK", await lines.ReadLineAsync(deadline.Token));

        var node = await NodeAsync();
        var channel = Channel();
        await node.Presence.JoinAsync(channel, new PresenceMember("n:1", "p_ana", "Ana"), CancellationToken.None);

        var (indexedAt, storedAt) = (-1, -1);
        for (var line = 0; storedAt < 0; line++)
        {
            var text = await lines.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("MONITOR ended");
            if (indexedAt < 0 && text.Contains("\"SADD\"", StringComparison.Ordinal) && text.Contains("{presence-channels}", StringComparison.Ordinal) && text.Contains($"\"{channel}\"", StringComparison.Ordinal))
            {
                indexedAt = line;
            }

            if (text.Contains("\"HSET\"", StringComparison.Ordinal) && text.Contains($":{{{channel}}}:presence\"", StringComparison.Ordinal))
            {
                storedAt = line;
            }
        }

        Assert.True(indexedAt >= 0, "the member was stored before its channel was in the sweep's index");
    }
}
