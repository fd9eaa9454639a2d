using System.Security.Cryptography;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// One channel's state in the in-memory engine. Every member is used under <c>lock (this)</c>, which
/// is what makes offsets consecutive and delivery ordered. Its collections are created on first use, so the
/// state of a channel that is only read is a few hundred bytes.
/// </summary>
internal sealed class MemoryChannel
{
    private Dictionary<(string Origin, string MessageId), (long Offset, DateTime Expires)>? _recentMessageIds;
    private Dictionary<string, PresenceMember>? _presence;

    public MemoryChannel(string name, int historySize, DateTime nowUtc)
    {
        Name = name;
        History = new PublicationRing(historySize);
        LastActivityUtc = nowUtc;
        // A fresh random epoch each time the channel's state is created: a client holding a position
        // from before a restart (or from before the channel was forgotten) can tell its history is gone.
        Epoch = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    public string Name { get; }

    public string Epoch { get; }

    public long LastOffset { get; set; }

    public PublicationRing History { get; }

    /// <summary>Set when the engine dropped this state; a caller holding it must look the channel up again.</summary>
    public bool Removed { get; set; }

    /// <summary>When the state was created or last published to: eviction takes the least recent first.</summary>
    public DateTime LastActivityUtc { get; set; }

    public int PresenceCount => _presence?.Count ?? 0;

    public int MessageIdCount => _recentMessageIds?.Count ?? 0;

    public bool IsIdle => History.Count == 0 && PresenceCount == 0 && MessageIdCount == 0;

    public PresenceMember[] PresenceMembers() => _presence is null ? [] : [.. _presence.Values];

    public void SetPresence(PresenceMember member) => (_presence ??= [])[member.ClientKey] = member;

    public bool RemovePresence(string clientKey) => _presence?.Remove(clientKey) ?? false;

    /// <summary>The offset an (origin, message id) pair was published at, while its idempotency window lasts.</summary>
    public bool TryGetPublishedOffset(string origin, string messageId, DateTime nowUtc, out long offset)
    {
        offset = 0;
        if (_recentMessageIds is null || !_recentMessageIds.TryGetValue((origin, messageId), out var record) || record.Expires <= nowUtc)
        {
            return false;
        }

        offset = record.Offset;
        return true;
    }

    /// <summary>Remembers a published pair. Returns false when it replaced an expired record of the same pair (the count did not change).</summary>
    public bool RememberMessageId((string Origin, string MessageId) key, long offset, DateTime expiresUtc)
    {
        var records = _recentMessageIds ??= [];
        var added = !records.ContainsKey(key);
        records[key] = (offset, expiresUtc);
        return added;
    }

    /// <summary>Forgets a pair if it is still the record that expires at <paramref name="expiresUtc"/> (not a later one of the same pair).</summary>
    public bool ForgetMessageId((string Origin, string MessageId) key, DateTime expiresUtc)
    {
        if (_recentMessageIds is null || !_recentMessageIds.TryGetValue(key, out var record) || record.Expires != expiresUtc)
        {
            return false;
        }

        _recentMessageIds.Remove(key);
        return true;
    }

    /// <summary>Forgets every pair (the channel is being dropped); returns how many there were.</summary>
    public int ForgetAllMessageIds()
    {
        var count = MessageIdCount;
        _recentMessageIds = null;
        return count;
    }

    /// <summary>Drops history past its time to live. Returns the bytes that freed.</summary>
    public long ExpireHistory(DateTime nowUtc, TimeSpan historyTtl)
    {
        var freed = 0L;
        while (History.Oldest is { } oldest && oldest.TimestampUtc + historyTtl <= nowUtc)
        {
            freed += History.RemoveOldest();
        }

        return freed;
    }
}
