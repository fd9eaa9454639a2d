using System.Security.Cryptography;
using Broadcast.Server.Channels;

namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// One channel's state in the in-memory engine. Every member is used under <c>lock (this)</c>, which
/// is what makes offsets consecutive and delivery ordered.
/// </summary>
internal sealed class MemoryChannel
{
    private readonly Dictionary<(string Origin, string MessageId), long> _recentMessageIds = [];
    private readonly Queue<(DateTime Expires, (string Origin, string MessageId) Key)> _messageIdExpiry = new();

    public MemoryChannel(string name, int historySize)
    {
        Name = name;
        History = new PublicationRing(historySize);
        // A fresh random epoch each time the channel's state is created: a client holding a position
        // from before a restart (or from before the channel was forgotten) can tell its history is gone.
        Epoch = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    public string Name { get; }

    public string Epoch { get; }

    public long LastOffset { get; set; }

    public PublicationRing History { get; }

    public Dictionary<string, PresenceMember> Presence { get; } = [];

    /// <summary>Set when the sweeper dropped this state; a caller holding it must look the channel up again.</summary>
    public bool Removed { get; set; }

    public DateTime LastActivityUtc { get; set; }

    public bool IsIdle => History.Count == 0 && Presence.Count == 0 && _recentMessageIds.Count == 0;

    public bool TryGetPublishedOffset(string origin, string messageId, out long offset) =>
        _recentMessageIds.TryGetValue((origin, messageId), out offset);

    public void RememberMessageId(string origin, string messageId, long offset, DateTime expiresUtc)
    {
        _recentMessageIds[(origin, messageId)] = offset;
        _messageIdExpiry.Enqueue((expiresUtc, (origin, messageId)));
    }

    /// <summary>Drops history past its time to live and message ids past the idempotency window.</summary>
    public void Expire(DateTime nowUtc, TimeSpan historyTtl)
    {
        while (History.Oldest is { } oldest && oldest.TimestampUtc + historyTtl <= nowUtc)
        {
            History.RemoveOldest();
        }

        while (_messageIdExpiry.TryPeek(out var entry) && entry.Expires <= nowUtc)
        {
            _messageIdExpiry.Dequeue();
            _recentMessageIds.Remove(entry.Key);
        }
    }
}
