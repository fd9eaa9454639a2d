using System.IO.Hashing;
using System.Text;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// Which of several independent Redis shards holds a channel: a jump consistent hash (Lamping and Veach) of
/// the XxHash64 of its name. Stable across nodes, versions and restarts; adding a shard at the end moves only
/// about 1/(n+1) of the channels, and shard 0 keeps the most of them, which is what the move from one Redis to
/// several relies on (docs/deployment.md).
/// </summary>
internal static class ShardPlacement
{
    public static int ShardOf(string channel, int shards)
    {
        if (shards <= 1)
        {
            return 0;
        }

        var bytes = Encoding.UTF8.GetMaxByteCount(channel.Length) <= 512 ? stackalloc byte[512] : new byte[Encoding.UTF8.GetMaxByteCount(channel.Length)];
        var length = Encoding.UTF8.GetBytes(channel, bytes);
        return Jump(XxHash64.HashToUInt64(bytes[..length]), shards);
    }

    /// <summary>The published algorithm, unchanged: the bucket of <paramref name="key"/> among <paramref name="buckets"/>.</summary>
    internal static int Jump(ulong key, int buckets)
    {
        long bucket = -1;
        long next = 0;
        while (next < buckets)
        {
            bucket = next;
            key = (key * 2862933555777941757UL) + 1;
            next = (long)((bucket + 1) * ((double)(1L << 31) / ((key >> 33) + 1)));
        }

        return (int)bucket;
    }
}
