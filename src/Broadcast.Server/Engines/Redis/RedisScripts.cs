namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The Lua scripts that make each channel operation atomic in Redis. A script runs alone, so the
/// offset increment, the history append, the idempotency record and the pub/sub notification of a
/// publish happen together or not at all, and every node sees publications in offset order.
/// </summary>
internal static class RedisScripts
{
    /// <summary>Drops history entries older than the cutoff (they are time-ordered, so only from the head).</summary>
    private const string TrimExpired = """
        local function trim_expired(stream, cutoff)
          -- Look at one entry at a time: in the common case the oldest entry is still fresh and this
          -- costs a single XRANGE of one entry (fetching a batch on every publish was ~10x slower).
          while true do
            local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
            if #head == 0 then return end
            local fields = head[1][2]
            local t = 0
            for i = 1, #fields, 2 do if fields[i] == 't' then t = tonumber(fields[i + 1]) end end
            if t > cutoff then return end
            redis.call('XDEL', stream, head[1][1])
          end
        end
        """;

    /// <summary>
    /// KEYS: meta, stream, and the message id key when the publish has an id (every key in the channel's slot).
    /// ARGV: pub/sub channel, origin, message, timestamp µs, history size, history ttl ms, meta ttl ms, message
    /// id ttl ms, epoch for a new channel, cutoff µs, publish command (PUBLISH or SPUBLISH), and this node's
    /// mark: the epoch and highest offset it has seen of the channel ('' and 0 for none), then the payload's
    /// stream field and pub/sub tag (<see cref="RedisEntries"/>: m and P for a message, d and D for data, b and B for bytes).
    /// Returns { epoch, offset, duplicate (0/1), reset (1: the stream had gone backwards, a new epoch began) }.
    /// </summary>
    /// <remarks>
    /// An offset at or below the node's mark in the same epoch means the stream went backwards: a failover
    /// promoted a replica that had not received publications this node saw acknowledged. Handing their offsets
    /// out again would give other content under positions clients already hold, so the channel starts a new
    /// epoch instead, which every node announces as <c>unrecovered</c> (issue #12).
    /// </remarks>
    public const string Publish = TrimExpired + "\n" + """
        local meta, stream, msgid = KEYS[1], KEYS[2], KEYS[3]
        if msgid then
          local prior = redis.call('GET', msgid)
          if prior then
            local sep = string.find(prior, ':', 1, true)
            return { string.sub(prior, 1, sep - 1), tonumber(string.sub(prior, sep + 1)), 1, 0 }
          end
        end
        local epoch = redis.call('HGET', meta, 'epoch')
        if not epoch then
          epoch = ARGV[9]
          redis.call('DEL', stream)
          redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
        end
        local offset = redis.call('HINCRBY', meta, 'offset', 1)
        local reset = 0
        if epoch == ARGV[12] and offset <= tonumber(ARGV[13]) then
          epoch = ARGV[9]
          offset = 1
          reset = 1
          redis.call('DEL', stream)
          redis.call('HSET', meta, 'epoch', epoch, 'offset', 1)
        end
        local size = tonumber(ARGV[5])
        if size > 0 then
          trim_expired(stream, tonumber(ARGV[10]))
          redis.call('XADD', stream, 'MAXLEN', size, offset .. '-1', 'o', ARGV[2], 't', ARGV[4], ARGV[14], ARGV[3])
          redis.call('PEXPIRE', stream, ARGV[6])
        end
        redis.call('PEXPIRE', meta, ARGV[7])
        if msgid then
          redis.call('SET', msgid, epoch .. ':' .. offset, 'PX', ARGV[8])
        end
        redis.call(ARGV[11], ARGV[1], ARGV[15] .. '\n' .. epoch .. '\n' .. offset .. '\n' .. ARGV[2] .. '\n' .. ARGV[4] .. '\n' .. ARGV[3])
        return { epoch, offset, 0, reset }
        """;

    /// <summary>
    /// KEYS: meta, stream. ARGV: since offset, limit, epoch for a new channel, meta ttl ms, cutoff µs,
    /// keep (1: store the new channel's epoch and keep the meta alive, for a subscriber; 0: a read-only request,
    /// which leaves nothing behind and answers an unknown channel with the unstored epoch and offset 0), and
    /// this node's mark (epoch, highest offset seen; '' and 0 for none): a channel whose offset is below the
    /// mark in the same epoch went backwards in a failover and starts a new epoch, as in <see cref="Publish"/>.
    /// Returns { epoch, last offset, first retained offset (or -1), entries, reset (0/1) }.
    /// </summary>
    public const string ReadHistory = TrimExpired + "\n" + """
        local meta, stream = KEYS[1], KEYS[2]
        local epoch = redis.call('HGET', meta, 'epoch')
        local top = 0
        local reset = 0
        if epoch then
          top = tonumber(redis.call('HGET', meta, 'offset'))
          if epoch == ARGV[7] and top < tonumber(ARGV[8]) then
            epoch = nil
            reset = 1
          end
        end
        if not epoch and ARGV[6] ~= '1' and reset == 0 then
          return { ARGV[3], 0, -1, {}, 0 }
        elseif not epoch then
          epoch = ARGV[3]
          top = 0
          redis.call('DEL', stream)
          redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
          redis.call('PEXPIRE', meta, ARGV[4])
        elseif ARGV[6] == '1' then
          redis.call('PEXPIRE', meta, ARGV[4])
        end
        trim_expired(stream, tonumber(ARGV[5]))
        local first = -1
        local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
        if #head > 0 then first = tonumber(string.match(head[1][1], '^(%d+)')) end
        local entries = {}
        local limit = tonumber(ARGV[2])
        if limit > 0 then
          entries = redis.call('XRANGE', stream, string.format('%d-0', tonumber(ARGV[1]) + 1), '+', 'COUNT', limit)
        end
        return { epoch, top, first, entries, reset }
        """;

    /// <summary>
    /// KEYS: meta, stream. ARGV: the epoch the caller saw reused, the new epoch. Starts the new epoch (offset 0,
    /// empty history) unless the channel has already left that epoch. Returns the channel's epoch.
    /// </summary>
    public const string NewEpochIf = """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        if epoch == ARGV[1] then
          redis.call('DEL', KEYS[2])
          redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'offset', 0)
          return ARGV[2]
        end
        return epoch
        """;

    /// <summary>Removes the members whose expiry passed (a dead node's) and tells subscribed nodes they left.</summary>
    private const string SweepExpired = """
        local function sweep_expired(presence, expiry, now, command, events)
          local swept = {}
          for _, key in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', now)) do
            local member = redis.call('HGET', presence, key)
            redis.call('HDEL', presence, key)
            if member then
              redis.call(command, events, 'L' .. member)
              swept[#swept + 1] = member
            end
          end
          redis.call('ZREMRANGEBYSCORE', expiry, '-inf', now)
          return swept
        end
        """;

    /// <summary>
    /// The answer of a join or leave, kept under its operation's own key for as long as the presence keys live
    /// (key ttl ms): a node whose call timed out (Redis may or may not have run it) runs it again with the same
    /// key and is told what was decided, so the change is reported once, by that node, and never re-decided.
    /// </summary>
    private const string RecordOutcome = """
        local function record_outcome(key, ttl, result)
          redis.call('SET', key, cjson.encode(result), 'PX', ttl)
          return result
        end
        """;

    /// <summary>
    /// KEYS: presence, presence expiry, the operation's outcome. ARGV: pub/sub channel, client key, member JSON,
    /// expiry ms, outcome ttl ms, publish command, now ms, key retention ms. The keys expire too, so a channel whose
    /// every node died leaves nothing behind, but only long after their members (the retention: a sweep that comes
    /// late still finds and reports them). Drops expired members first (a dead node's), so they do not hide that the channel
    /// is empty. Returns: whether the member is new, whether it is the channel's only member (the channel became
    /// occupied), then the JSON of every member dropped. Run again with the same outcome key (its answer was
    /// lost), it changes nothing and returns what it decided the first time (<see cref="RecordOutcome"/>).
    /// </summary>
    public const string Join = SweepExpired + "\n" + RecordOutcome + "\n" + """
        local settled = redis.call('GET', KEYS[3])
        if settled then return cjson.decode(settled) end
        local swept = sweep_expired(KEYS[1], KEYS[2], ARGV[7], ARGV[6], ARGV[1])
        local added = redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[8])
        redis.call('PEXPIRE', KEYS[2], ARGV[8])
        redis.call(ARGV[6], ARGV[1], 'J' .. ARGV[3])
        local only = 0
        if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then only = 1 end
        local result = {added, only}
        for _, member in ipairs(swept) do result[#result + 1] = member end
        return record_outcome(KEYS[3], ARGV[5], result)
        """;

    /// <summary>
    /// KEYS: presence, presence expiry. ARGV: pub/sub channel, publish command, expiry ms, now ms, key retention ms,
    /// then this node's members of the channel as (client key, member JSON) pairs. Extends them, and adds back
    /// (with a join event) any that Redis no longer has, as after it lost its data (issue #12, finding 2);
    /// drops members nobody extended (a dead node's) with a leave event; extends the keys' own expiry.
    /// Returns the client keys it added back (for the node to check that each is still connected), then the
    /// JSON of every member dropped (the node reports that they left), then whether the drops emptied the channel.
    /// </summary>
    public const string RefreshPresence = SweepExpired + "\n" + """
        local added = {}
        for i = 6, #ARGV, 2 do
          if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
            added[#added + 1] = ARGV[i]
            redis.call(ARGV[2], ARGV[1], 'J' .. ARGV[i + 1])
          end
          redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i])
        end
        local swept = sweep_expired(KEYS[1], KEYS[2], ARGV[4], ARGV[2], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('PEXPIRE', KEYS[2], ARGV[5])
        local empty = 0
        if #swept > 0 and redis.call('HLEN', KEYS[1]) == 0 then empty = 1 end
        return {added, swept, empty}
        """;

    /// <summary>
    /// KEYS: presence, presence expiry, the operation's outcome. ARGV: pub/sub channel, client key, member JSON,
    /// publish command, now ms, key ttl ms. Drops expired members first, like <see cref="Join"/>. Returns: whether
    /// the member was there, whether the channel is now empty (vacated, by this leave or the drops), then the
    /// JSON of every member dropped. Run again with the same outcome key, it returns the first answer, like <see cref="Join"/>.
    /// </summary>
    public const string Leave = SweepExpired + "\n" + RecordOutcome + "\n" + """
        local settled = redis.call('GET', KEYS[3])
        if settled then return cjson.decode(settled) end
        local swept = sweep_expired(KEYS[1], KEYS[2], ARGV[5], ARGV[4], ARGV[1])
        local removed = redis.call('HDEL', KEYS[1], ARGV[2])
        redis.call('ZREM', KEYS[2], ARGV[2])
        if removed > 0 then redis.call(ARGV[4], ARGV[1], 'L' .. ARGV[3]) end
        local empty = 0
        if (removed > 0 or #swept > 0) and redis.call('HLEN', KEYS[1]) == 0 then empty = 1 end
        local result = {removed, empty}
        for _, member in ipairs(swept) do result[#result + 1] = member end
        return record_outcome(KEYS[3], ARGV[6], result)
        """;

    /// <summary>
    /// KEYS: presence, presence expiry. ARGV: now ms, pub/sub channel, publish command. Drops expired members (a
    /// crashed node's). Returns the JSON of the rest, the JSON of those dropped (the node reports that they
    /// left), then whether the drops emptied the channel.
    /// </summary>
    public const string GetPresence = SweepExpired + "\n" + """
        local swept = sweep_expired(KEYS[1], KEYS[2], ARGV[1], ARGV[3], ARGV[2])
        local members = redis.call('HVALS', KEYS[1])
        local empty = 0
        if #swept > 0 and #members == 0 then empty = 1 end
        return {members, swept, empty}
        """;

    /// <summary>
    /// KEYS: presence, presence expiry. ARGV: now ms, pub/sub channel, publish command, page size. The periodic sweep
    /// of a channel no node of this one refreshes (its members' node may have died): drops expired members, at most a
    /// page of them per call, so one call never holds Redis (which runs one script at a time) for a whole crowd.
    /// Returns the JSON of those dropped, whether the drops emptied the channel, how many members are left (none:
    /// the channel leaves the index of channels with presence), then whether more expired ones may wait (a full page:
    /// call again).
    /// </summary>
    public const string SweepPresence = """
        local presence, expiry = KEYS[1], KEYS[2]
        local page = redis.call('ZRANGEBYSCORE', expiry, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
        local swept = {}
        for _, key in ipairs(page) do
          local member = redis.call('HGET', presence, key)
          redis.call('HDEL', presence, key)
          redis.call('ZREM', expiry, key)
          if member then
            redis.call(ARGV[3], ARGV[2], 'L' .. member)
            swept[#swept + 1] = member
          end
        end
        local left = redis.call('HLEN', presence)
        local empty = 0
        if #swept > 0 and left == 0 then empty = 1 end
        local more = 0
        if #page == tonumber(ARGV[4]) then more = 1 end
        return {swept, empty, left, more}
        """;

    /// <summary>KEYS: nodes, nodes expiry. ARGV: node id, report JSON, expiry ms, now ms. Returns every live report.</summary>
    public const string ReportNode = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
        for _, id in ipairs(expired) do redis.call('HDEL', KEYS[1], id) end
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
        return 1
        """;

    /// <summary>KEYS: nodes, nodes expiry. ARGV: now ms. Returns the reports of nodes that have not expired.</summary>
    public const string GetNodes = """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
        for _, id in ipairs(expired) do redis.call('HDEL', KEYS[1], id) end
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
        return redis.call('HVALS', KEYS[1])
        """;

    /// <summary>
    /// KEYS: session owner. ARGV: user, retention ms. Binds an unbound session to the user, or renews the
    /// binding of the user's own one. Returns 1, or 0 (nothing changed) when another user holds it.
    /// </summary>
    public const string ClaimSession = """
        local owner = redis.call('GET', KEYS[1])
        if owner and owner ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;
}
