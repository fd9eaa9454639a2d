using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The periodic presence sweep: finds the members of a dead node in channels no live node refreshes (a channel
/// that only the dead node used), which no refresh, join, leave or read would ever remove and report.
/// </summary>
public sealed partial class RedisEngine
{
    /// <summary>
    /// Channels read from the index per SSCAN call (Redis takes it as a hint) and swept at once, one script each,
    /// sent together: bounds each call and what one round holds in flight. Tests set it smaller, to page with few channels.
    /// </summary>
    internal int SweepBatchSize { get; init; } = 256;

    /// <summary>Expired members one sweep script drops at most (<see cref="RedisScripts.SweepPresence"/>); the sweep calls again while pages come full. Tests set it small.</summary>
    internal int SweepMemberPage { get; init; } = 512;

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
    /// <remarks>
    /// The index is read with SSCAN, a page of about <see cref="SweepBatchSize"/> channels per call, and each page
    /// is swept before the next is read: one SMEMBERS reply with every channel would hold Redis (which runs one
    /// command at a time) for the whole index, and this node's memory with it. SSCAN returns every channel that
    /// stays in the index for the whole scan; one that joins meanwhile waits for the next round at worst, and a
    /// channel returned twice is swept twice, harmlessly (the script removes and reports each member once).
    /// </remarks>
    private async ValueTask SweepPresenceAsync()
    {
        // A channel whose script failed does not stop the round: the pages after it are swept still (a round
        // retried from the start at each failure could starve them); the round then fails, to be retried.
        Exception? failed = null;
        foreach (var shard in _shards)
        {
            var cursor = "0";
            do
            {
                var page = (RedisResult[])(await shard.RunAsync((db, _) => db.ExecuteAsync("SSCAN", _keys.PresenceChannels(), cursor, "COUNT", SweepBatchSize)))!;
                cursor = (string)page[0]!;
                var channels = ((RedisValue[])page[1]!).Select(value => (string)value!).Where(channel => !HasLocalPresence(channel));
                try
                {
                    await Task.WhenAll(channels.Select(channel => SweepChannelAsync(shard, channel)));
                }
                catch (EngineUnavailableException ex)
                {
                    failed ??= ex;
                }
            }
            while (cursor != "0");
        }

        if (failed is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        }
    }

    private async Task SweepChannelAsync(RedisShard shard, string channel)
    {
        RedisResult[] result;
        do
        {
            // A page at a time; each page's members are reported as soon as it is dropped (a failure later loses none).
            result = (RedisResult[])(await shard.RunAsync((db, sharded) => db.ScriptEvaluateAsync(
                RedisScripts.SweepPresence,
                [_keys.Presence(channel), _keys.PresenceExpiry(channel)],
                [_clock.GetUtcNow().ToUnixTimeMilliseconds(), _keys.Events(channel, sharded).ToString(), PublishCommand(sharded), SweepMemberPage])))!;
            ReportExpired(channel, result[0], (long)result[1] == 1);
        }
        while ((long)result[3] == 1);

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
