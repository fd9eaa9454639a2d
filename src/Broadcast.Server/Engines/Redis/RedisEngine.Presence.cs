using System.Text.Json;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>Presence in Redis: members of every node, kept alive by the node that holds their connection.</summary>
public sealed partial class RedisEngine
{
    /// <summary>This node's members, by channel; a channel leaves the map with its last member. Guarded by <see cref="_presenceLock"/>.</summary>
    private readonly Dictionary<string, Dictionary<string, PresenceMember>> _localPresence = new(StringComparer.Ordinal);
    private readonly Lock _presenceLock = new();
    private int _refreshing;
    private long _metaKeptAliveAt = long.MinValue;
    private volatile IPresenceExpiryObserver? _expiry;

    public void ObserveExpiry(IPresenceExpiryObserver observer) => _expiry = observer;

    public async ValueTask<PresenceChange> JoinAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        lock (_presenceLock)
        {
            if (!_localPresence.TryGetValue(channel, out var members))
            {
                _localPresence[channel] = members = new Dictionary<string, PresenceMember>(StringComparer.Ordinal);
            }

            members[member.ClientKey] = member;
        }

        var operation = NewOperation();
        try
        {
            // The channel goes into the sweep's index before its member is stored: a node that dies right after the
            // join (before its first refresh, which adds it too) would otherwise leave a member no sweep ever finds.
            // The index has a slot of its own, so it cannot be written by the join's script.
            await ShardOf(channel).RunAsync((db, _) => db.SetAddAsync(_keys.PresenceChannels(), channel));
            return ToChange(await RunJoinAsync(channel, member, operation));
        }
        catch (EngineUnavailableException)
        {
            // Redis may or may not have run it, and the member is still subscribed here: settled in the background
            // (and its channel indexed by this node's next refresh).
            SettleJoin(channel, member, operation);
            throw;
        }
    }

    public async ValueTask<PresenceChange> LeaveAsync(string channel, PresenceMember member, CancellationToken cancellationToken)
    {
        lock (_presenceLock)
        {
            if (_localPresence.TryGetValue(channel, out var members) && members.Remove(member.ClientKey) && members.Count == 0)
            {
                _localPresence.Remove(channel);
            }

            if (_settlingJoins.Contains((channel, member.ClientKey)))
            {
                // Its join is still being settled: that leaves once the join's outcome is known, so the two are
                // decided (and reported) in the order they happened.
                return PresenceChange.Of(false, false);
            }
        }

        var operation = NewOperation();
        try
        {
            return ToChange(await RunLeaveAsync(channel, member, operation));
        }
        catch (EngineUnavailableException)
        {
            SettleLeave(channel, member, operation);
            throw;
        }
    }

    public async ValueTask<IReadOnlyCollection<PresenceMember>> GetPresenceAsync(string channel, CancellationToken cancellationToken)
    {
        var values = (RedisResult[])(await ShardOf(channel).RunAsync((db, sharded) => db.ScriptEvaluateAsync(
            RedisScripts.GetPresence,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel)],
            [_clock.GetUtcNow().ToUnixTimeMilliseconds(), _keys.Events(channel, sharded).ToString(), PublishCommand(sharded)])))!;
        ReportExpired(channel, values[1], (long)values[2] == 1);
        return [.. ((RedisResult[])values[0]!).Select(value => DeserializeMember((string)value!))];
    }

    /// <summary>Tells the observer about expired members a refresh, a read or the sweep removed (the script that removed them ran here, so no other node tells).</summary>
    private void ReportExpired(string channel, RedisResult swept, bool vacated)
    {
        var members = (RedisResult[])swept!;
        if (members.Length > 0)
        {
            _expiry?.MembersExpired(channel, [.. members.Select(value => DeserializeMember((string)value!))], vacated);
        }
    }

    private Task<RedisResult> RunJoinAsync(string channel, PresenceMember member, string operation) =>
        ShardOf(channel).RunAsync((db, sharded) => db.ScriptEvaluateAsync(
            RedisScripts.Join,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel), _keys.PresenceOutcome(channel, operation)],
            [_keys.Events(channel, sharded).ToString(), member.ClientKey, SerializeMember(member), PresenceExpiryMs(), PresenceKeyTtlMs, PublishCommand(sharded), _clock.GetUtcNow().ToUnixTimeMilliseconds(), PresenceRetentionMs]));

    private Task<RedisResult> RunLeaveAsync(string channel, PresenceMember member, string operation) =>
        ShardOf(channel).RunAsync((db, sharded) => db.ScriptEvaluateAsync(
            RedisScripts.Leave,
            [_keys.Presence(channel), _keys.PresenceExpiry(channel), _keys.PresenceOutcome(channel, operation)],
            [_keys.Events(channel, sharded).ToString(), member.ClientKey, SerializeMember(member), PublishCommand(sharded), _clock.GetUtcNow().ToUnixTimeMilliseconds(), PresenceKeyTtlMs]));

    /// <summary>Removes a member a refresh added back after it had left here (webhooks are not told: they were not told of the add-back either).</summary>
    private Task<RedisResult> RemoveMemberAsync(string channel, PresenceMember member) => RunLeaveAsync(channel, member, NewOperation());

    /// <summary>The answer of the join and leave scripts: member changed, channel changed, then the expired members dropped.</summary>
    private static PresenceChange ToChange(RedisResult result)
    {
        var values = (RedisResult[])result!;
        return new PresenceChange((long)values[0] > 0, (long)values[1] == 1, [.. values.Skip(2).Select(value => DeserializeMember((string)value!))]);
    }

    private bool IsLocalMember(string channel, string clientKey)
    {
        lock (_presenceLock)
        {
            return _localPresence.TryGetValue(channel, out var members) && members.ContainsKey(clientKey);
        }
    }

    /// <summary>
    /// One round of <see cref="RefreshPresenceAsync"/>, retried with backoff until it goes through: a round
    /// lost to an outage would let the members expire while their clients are still connected. A tick that
    /// comes while a round is still retrying is skipped; that round refreshes everyone anyway.
    /// </summary>
    private async Task RefreshPresenceRoundAsync()
    {
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            await _retry.RunAsync("presence_refresh", _ => RefreshPresenceAsync(), _disposed.Token);
            await _retry.RunAsync("meta_keepalive", _ => KeepMetaAliveAsync(), _disposed.Token);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    /// <summary>
    /// Keeps this node's presence entries alive, one script per channel, all sent at once (one round trip per
    /// shard, not one per channel). A node that dies stops refreshing and its entries expire: removed, with a
    /// leave event, by another node's refresh of the channel, or with the channel's keys when no node
    /// refreshes them any more. A member Redis no longer has (it lost its data) is added back, with a join
    /// event; one that left meanwhile on this node is removed again at once (it left between the snapshot
    /// and the script), so a departure never comes back as a ghost.
    /// </summary>
    private async ValueTask RefreshPresenceAsync()
    {
        List<(string Channel, PresenceMember[] Members)> snapshot;
        lock (_presenceLock)
        {
            // Not the members whose join is being settled: the refresh would add them back unreported, and the
            // join, run again, would then find nothing to add (and report nothing).
            snapshot = [.. _localPresence
                .Select(entry => (entry.Key, entry.Value.Values.Where(member => !_settlingJoins.Contains((entry.Key, member.ClientKey))).ToArray()))
                .Where(entry => entry.Item2.Length > 0)];
        }

        if (snapshot.Count == 0)
        {
            return;
        }

        var now = _clock.GetUtcNow();
        var expiry = (now + _options.PresenceTtl).ToUnixTimeMilliseconds();
        var refreshes = snapshot.Select(async entry =>
        {
            var (channel, members) = entry;
            var result = (RedisResult[])(await ShardOf(channel).RunAsync((db, sharded) =>
            {
                var arguments = new RedisValue[5 + (members.Length * 2)];
                arguments[0] = _keys.Events(channel, sharded).ToString();
                arguments[1] = PublishCommand(sharded);
                arguments[2] = expiry;
                arguments[3] = now.ToUnixTimeMilliseconds();
                arguments[4] = PresenceRetentionMs;
                for (var i = 0; i < members.Length; i++)
                {
                    arguments[5 + (2 * i)] = members[i].ClientKey;
                    arguments[6 + (2 * i)] = SerializeMember(members[i]);
                }

                return db.ScriptEvaluateAsync(RedisScripts.RefreshPresence, [_keys.Presence(channel), _keys.PresenceExpiry(channel)], arguments);
            }))!;
            ReportExpired(channel, result[1], (long)result[2] == 1);
            foreach (var key in ((RedisResult[])result[0]!).Select(value => (string)value!))
            {
                if (!IsLocalMember(channel, key))
                {
                    await RemoveMemberAsync(channel, members.First(member => member.ClientKey == key));
                }
            }
        }).ToList();

        // Keeps the index of channels with presence complete: an add lost at a join, or undone by a sweep that
        // raced it, is made again here, so a channel whose node dies is always found by the sweep.
        var indexing = snapshot.GroupBy(entry => ShardOf(entry.Channel)).Select(group =>
            group.Key.RunAsync((db, _) => db.SetAddAsync(_keys.PresenceChannels(), [.. group.Select(entry => (RedisValue)entry.Channel)])));
        await Task.WhenAll(refreshes.Concat<Task>(indexing));
    }

    /// <summary>
    /// Extends the meta (epoch and offset) of every channel this node has subscribers for, about once an
    /// hour: without it a channel with no publication for a day would lose its epoch, and its subscribers
    /// would be told <c>unrecovered</c> at the next publication although nothing was lost.
    /// </summary>
    private async ValueTask KeepMetaAliveAsync()
    {
        var now = Environment.TickCount64;
        if (Volatile.Read(ref _metaKeptAliveAt) != long.MinValue && now - Volatile.Read(ref _metaKeptAliveAt) < (long)MetaKeepAliveInterval.TotalMilliseconds)
        {
            return;
        }

        await Task.WhenAll(_listeners.Keys.Select(channel => ShardOf(channel).RunAsync((db, _) => db.KeyExpireAsync(_keys.Meta(channel), MetaTtl))));
        Volatile.Write(ref _metaKeptAliveAt, now);
    }

    /// <summary>How often <see cref="KeepMetaAliveAsync"/> extends the metas: far inside their day-long life, and never more often than the presence refresh.</summary>
    private TimeSpan MetaKeepAliveInterval => TimeSpan.FromTicks(Math.Min(TimeSpan.FromHours(1).Ticks, MetaTtl.Ticks / 4));

    private long PresenceExpiryMs() => (_clock.GetUtcNow() + _options.PresenceTtl).ToUnixTimeMilliseconds();

    private static string SerializeMember(PresenceMember member) =>
        JsonSerializer.Serialize(new StoredMember(member.ClientKey, member.Session, member.Name, member.User), StoredMemberContext.Default.StoredMember);

    private static PresenceMember DeserializeMember(string json)
    {
        var stored = JsonSerializer.Deserialize(json, StoredMemberContext.Default.StoredMember)!;
        return new PresenceMember(stored.K, stored.S, stored.N, stored.U);
    }
}
