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
    /// KEYS: meta, stream, message id key (or empty). ARGV: pub/sub channel, origin, message, timestamp µs,
    /// history size, history ttl ms, meta ttl ms, message id ttl ms, epoch for a new channel, cutoff µs.
    /// Returns { epoch, offset, duplicate (0/1) }.
    /// </summary>
    public const string Publish = TrimExpired + "\n" + """
        local meta, stream, msgid = KEYS[1], KEYS[2], KEYS[3]
        if msgid ~= '' then
          local prior = redis.call('GET', msgid)
          if prior then
            local sep = string.find(prior, ':', 1, true)
            return { string.sub(prior, 1, sep - 1), tonumber(string.sub(prior, sep + 1)), 1 }
          end
        end
        local epoch = redis.call('HGET', meta, 'epoch')
        if not epoch then
          epoch = ARGV[9]
          redis.call('DEL', stream)
          redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
        end
        local offset = redis.call('HINCRBY', meta, 'offset', 1)
        local size = tonumber(ARGV[5])
        if size > 0 then
          trim_expired(stream, tonumber(ARGV[10]))
          redis.call('XADD', stream, 'MAXLEN', size, offset .. '-1', 'o', ARGV[2], 't', ARGV[4], 'm', ARGV[3])
          redis.call('PEXPIRE', stream, ARGV[6])
        end
        redis.call('PEXPIRE', meta, ARGV[7])
        if msgid ~= '' then
          redis.call('SET', msgid, epoch .. ':' .. offset, 'PX', ARGV[8])
        end
        redis.call('PUBLISH', ARGV[1], 'P\n' .. epoch .. '\n' .. offset .. '\n' .. ARGV[2] .. '\n' .. ARGV[4] .. '\n' .. ARGV[3])
        return { epoch, offset, 0 }
        """;

    /// <summary>
    /// KEYS: meta, stream. ARGV: since offset, limit, epoch for a new channel, meta ttl ms, cutoff µs,
    /// keep (1: store the new channel's epoch, for a subscriber; 0: a read-only request, which leaves nothing
    /// behind and answers an unknown channel with the unstored epoch and offset 0).
    /// Returns { epoch, last offset, first retained offset (or -1), entries }.
    /// </summary>
    public const string ReadHistory = TrimExpired + "\n" + """
        local meta, stream = KEYS[1], KEYS[2]
        local epoch = redis.call('HGET', meta, 'epoch')
        local top = 0
        if not epoch and ARGV[6] ~= '1' then
          return { ARGV[3], 0, -1, {} }
        elseif not epoch then
          epoch = ARGV[3]
          redis.call('DEL', stream)
          redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
          redis.call('PEXPIRE', meta, ARGV[4])
        else
          top = tonumber(redis.call('HGET', meta, 'offset'))
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
        return { epoch, top, first, entries }
        """;

    /// <summary>
    /// KEYS: presence, presence expiry. ARGV: pub/sub channel, client key, member JSON, expiry ms, key ttl ms.
    /// The keys expire too, so a channel whose every node died leaves nothing behind.
    /// </summary>
    public const string Join = """
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('PEXPIRE', KEYS[2], ARGV[5])
        redis.call('PUBLISH', ARGV[1], 'J' .. ARGV[3])
        return 1
        """;

    /// <summary>
    /// KEYS: presence, presence expiry. ARGV: expiry ms, now ms, key ttl ms, then this node's client keys on
    /// the channel. Extends this node's members (never re-adds one that left), drops members nobody
    /// extended (a dead node's) and extends the keys' own expiry.
    /// </summary>
    public const string RefreshPresence = """
        for i = 4, #ARGV do redis.call('ZADD', KEYS[2], 'XX', ARGV[1], ARGV[i]) end
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
        for _, key in ipairs(expired) do redis.call('HDEL', KEYS[1], key) end
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        redis.call('PEXPIRE', KEYS[2], ARGV[3])
        return 1
        """;

    /// <summary>KEYS: presence, presence expiry. ARGV: pub/sub channel, client key, member JSON.</summary>
    public const string Leave = """
        local removed = redis.call('HDEL', KEYS[1], ARGV[2])
        redis.call('ZREM', KEYS[2], ARGV[2])
        if removed > 0 then redis.call('PUBLISH', ARGV[1], 'L' .. ARGV[3]) end
        return removed
        """;

    /// <summary>KEYS: presence, presence expiry. ARGV: now ms. Drops expired members (a crashed node's), returns the rest.</summary>
    public const string GetPresence = """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
        for _, key in ipairs(expired) do redis.call('HDEL', KEYS[1], key) end
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
        return redis.call('HVALS', KEYS[1])
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
