using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// How publications are stored in Redis: stream entries (history) and pub/sub messages.
/// </summary>
/// <remarks>
/// The format is versioned by the payload's field name and tag, so nodes of a rolling upgrade never misread
/// each other's entries. Version 1 (every node so far) knew only messages: stream field <c>m</c>, pub/sub tag
/// <c>P</c>; a message is still written exactly so, and old nodes read it as before. Version 2 adds <c>d</c>/<c>D</c>
/// (JSON data) and <c>b</c>/<c>B</c> (bytes). A new node reads both versions; an old node ignores a <c>D</c> or
/// <c>B</c> pub/sub message and reads such a stream entry as an empty message, so publish data or bytes only
/// once every node runs version 2 (docs/deployment.md, rolling upgrades).
/// </remarks>
internal static class RedisEntries
{
    public static DateTime FromMicroseconds(long microseconds) => new(DateTime.UnixEpoch.Ticks + (microseconds * 10), DateTimeKind.Utc);

    /// <summary>The stream entry's field that holds a payload of <paramref name="kind"/>.</summary>
    public static string StreamField(PayloadKind kind) => kind switch
    {
        PayloadKind.Data => "d",
        PayloadKind.Bytes => "b",
        _ => "m",
    };

    /// <summary>The first byte of a pub/sub publication carrying a payload of <paramref name="kind"/>.</summary>
    public static string PubSubTag(PayloadKind kind) => kind switch
    {
        PayloadKind.Data => "D",
        PayloadKind.Bytes => "B",
        _ => "P",
    };

    /// <summary>A stream entry: id <c>{offset}-1</c>, fields o (origin), t (µs), and one of m (escaped message), d (JSON data), b (bytes).</summary>
    public static Publication Parse(string channel, string epoch, RedisResult[] entry)
    {
        var id = (string)entry[0]!;
        var offset = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        var fields = (RedisResult[])entry[1]!;
        string origin = "";
        long micros = 0;
        PublicationPayload payload = PublicationPayload.Message([]);
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
                    payload = PublicationPayload.Message((byte[])fields[i + 1]!);
                    break;
                case "d":
                    payload = PublicationPayload.Data((byte[])fields[i + 1]!);
                    break;
                case "b":
                    payload = PublicationPayload.Binary((byte[])fields[i + 1]!);
                    break;
            }
        }

        return new Publication(channel, epoch, offset, origin, FromMicroseconds(micros), payload);
    }

    /// <summary>
    /// Reads <c>{tag}\n{epoch}\n{offset}\n{origin}\n{µs}\n{payload}</c>. The payload is last, so it may hold any
    /// byte (data may have raw newlines, bytes anything); the fields before it have none.
    /// </summary>
    public static Publication ParseMessage(string channel, byte[] bytes)
    {
        var kind = bytes[0] switch
        {
            (byte)'D' => PayloadKind.Data,
            (byte)'B' => PayloadKind.Bytes,
            (byte)'P' => PayloadKind.Message,
            _ => throw new FormatException("not a publication"),
        };
        var span = bytes.AsSpan(2);
        var epoch = NextField(ref span);
        var offset = long.Parse(NextField(ref span), CultureInfo.InvariantCulture);
        var origin = NextField(ref span);
        var micros = long.Parse(NextField(ref span), CultureInfo.InvariantCulture);
        return new Publication(channel, epoch, offset, origin, FromMicroseconds(micros), new PublicationPayload(kind, span.ToArray()));
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
