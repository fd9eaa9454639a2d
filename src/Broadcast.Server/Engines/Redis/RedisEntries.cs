using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>How publications are read from Redis: stream entries (history) and pub/sub messages.</summary>
internal static class RedisEntries
{
    public static DateTime FromMicroseconds(long microseconds) => new(DateTime.UnixEpoch.Ticks + (microseconds * 10), DateTimeKind.Utc);

    /// <summary>A stream entry: id <c>{offset}-1</c>, fields o (origin), t (µs), m (escaped message).</summary>
    public static Publication Parse(string channel, string epoch, RedisResult[] entry)
    {
        var id = (string)entry[0]!;
        var offset = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        var fields = (RedisResult[])entry[1]!;
        string origin = "";
        long micros = 0;
        byte[] message = [];
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            switch ((string)fields[i]!)
            {
                case "o":
                    origin = (string)fields[i + 1]!;
                    break;
                case "t":
                    micros = (long)fields[i + 1];
                    break;
                case "m":
                    message = (byte[])fields[i + 1]!;
                    break;
            }
        }

        return new Publication(channel, epoch, offset, origin, FromMicroseconds(micros), message);
    }

    /// <summary>Reads <c>P\n{epoch}\n{offset}\n{origin}\n{µs}\n{escaped message}</c>; the message has no raw newline (JSON escapes it).</summary>
    public static Publication ParseMessage(string channel, byte[] bytes)
    {
        var span = bytes.AsSpan(2);
        var epoch = NextField(ref span);
        var offset = long.Parse(NextField(ref span), CultureInfo.InvariantCulture);
        var origin = NextField(ref span);
        var micros = long.Parse(NextField(ref span), CultureInfo.InvariantCulture);
        return new Publication(channel, epoch, offset, origin, FromMicroseconds(micros), span.ToArray());
    }

    private static string NextField(ref Span<byte> span)
    {
        var end = span.IndexOf((byte)'\n');
        if (end < 0)
        {
            throw new FormatException("truncated publication");
        }

        var field = Encoding.UTF8.GetString(span[..end]);
        span = span[(end + 1)..];
        return field;
    }
}
