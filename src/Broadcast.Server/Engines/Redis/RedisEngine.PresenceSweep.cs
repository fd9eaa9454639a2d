using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The periodic presence sweep: finds the members of a dead node in channels no live node refreshes (a channel
/// that only the dead node used), which no refresh, join, leave or read would ever remove and report.
/// </summary>
public sealed partial class RedisEngine
{
    /// <summary>Channels swept at once, one script each, sent together: bounds what one round holds in flight.</summary>
    private const int SweepBatchSize = 256;

    private int _sweeping;

    /// <summary>
    /// One round of <see cref="SweepPresenceAsync"/>, every half a presence TTL on every node. Every node sweeps,
    /// so the sweep needs no leader; the script's atomic removal makes sure one node only reports each member.
    /// A failed round is retried with backoff; a tick that comes meanwhile is skipped.
    /// </summary>
    private async Task SweepPresenceRoundAsync()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            await _retry.RunAsync("presence_sweep", _ => SweepPresenceAsync(), _disposed.Token);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// Runs <see cref="RedisScripts.SweepPresence"/> for every channel in each shard's index of channels with
    /// presence, one channel per script (a channel's keys share one slot; the index has its own). Channels this
    /// node has members of are skipped: its refresh sweeps them. A channel found with no member left leaves the index.
    /// </summary>
    private async ValueTask SweepPresenceAsync()
    {
        foreach (var shard in _shards)
        {
            var indexed = (RedisValue[])(await shard.RunAsync((db, _) => db.SetMembersAsync(_keys.PresenceChannels())))!;
            var channels = indexed.Select(value => (string)value!).Where(channel => !HasLocalPresence(channel)).ToList();
            foreach (var batch in channels.Chunk(SweepBatchSize))
            {
                await Task.WhenAll(batch.Select(channel => SweepChannelAsync(shard, channel)));
            }
        }
    }

    private async Task SweepChannelAsync(RedisShard shard, string channel)
    {
        var result = (RedisResult[])(await shard.RunAsync((db, sharded) => db.ScriptEvaluateAsync(
            RedisScripts.SweepPresence,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel)],
            [_clock.GetUtcNow().ToUnixTimeMilliseconds(), _keys.Events(channel, sharded).ToString(), PublishCommand(sharded)])))!;
        ReportExpired(channel, result[0], (long)result[1] == 1);
        if ((long)result[2] == 0)
        {
            await shard.RunAsync((db, _) => db.SetRemoveAsync(_keys.PresenceChannels(), channel));
        }
    }

    private bool HasLocalPresence(string channel)
    {
        lock (_presenceLock)
        {
            return _localPresence.ContainsKey(channel);
        }
    }
}
