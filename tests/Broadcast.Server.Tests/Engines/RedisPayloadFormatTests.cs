using System.Text;
using Broadcast.Server.Tests.Channels;
using Broadcast.Testing;
using StackExchange.Redis;

namespace Broadcast.Server.Tests.Engines;

/// <summary>
/// The Redis publication format is versioned (Engines/Redis/RedisEntries.cs): a message is stored exactly as
/// version 1 stored it, so nodes of both versions share channels during a rolling upgrade; data and bytes use
/// fields of their own; and what a version-1 node wrote is read by this one.
/// </summary>
public sealed class RedisPayloadFormatTests
{
    [Fact]
    public async Task Each_payload_is_stored_in_its_own_field_and_a_message_in_the_version_1_field()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Engine"] = "Redis",
            ["Broadcast:Redis:Configuration"] = redis.Configuration,
            ["Broadcast:Redis:Prefix"] = "fmt",
        });
        await using var publisher = await ExtendedClient.ConnectAsync(server);
        await publisher.Client.SendTextAsync("""{"type":"publish","id":"m","channel":"room","message":"a \"quoted\" message"}""");
        await publisher.ReceiveAsync("ack");
        await publisher.Client.SendTextAsync("""{"type":"publish","id":"d","channel":"room","data":{ "x" : [1, 2] }}""");
        await publisher.ReceiveAsync("ack");
        await publisher.SendAsync(new { type = "publish", id = "b", channel = "room", bytes = "AAEC" });
        await publisher.ReceiveAsync("ack");

        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var entries = await connection.GetDatabase().StreamRangeAsync("fmt:{room}:stream");
        Assert.Equal(3, entries.Length);
        (string Name, byte[] Value) Payload(StreamEntry entry)
        {
            Assert.Equal(["o", "t"], entry.Values.Take(2).Select(v => (string)v.Name!));
            var field = Assert.Single(entry.Values.Skip(2));
            return ((string)field.Name!, (byte[])field.Value!);
        }

        // The message as escaped JSON string content under m, as version 1 wrote it; data as its bytes; bytes raw.
        Assert.Equal(("m", """a \"quoted\" message"""), (Payload(entries[0]).Name, Encoding.UTF8.GetString(Payload(entries[0]).Value)));
        Assert.Equal(("d", "{ \"x\" : [1, 2] }"), (Payload(entries[1]).Name, Encoding.UTF8.GetString(Payload(entries[1]).Value)));
        Assert.Equal("b", Payload(entries[2]).Name);
        Assert.Equal([0, 1, 2], Payload(entries[2]).Value);
    }

    [Fact]
    public async Task History_written_by_a_version_1_node_is_read_as_its_messages()
    {
        await using var redis = await RedisServer.StartAsync();
        // What a node before payloads left in Redis: the channel's meta and two recent entries with o, t and m.
        var now = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RedisCli.RunAsync(redis.Port, "HSET", "old:{room}:meta", "epoch", "e-v1", "offset", "2");
        await RedisCli.RunAsync(redis.Port, "XADD", "old:{room}:stream", "1-1", "o", "p_old", "t", now, "m", "first \\\"one\\\"");
        await RedisCli.RunAsync(redis.Port, "XADD", "old:{room}:stream", "2-1", "o", "p_old", "t", now, "m", "second");
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:Engine"] = "Redis",
            ["Broadcast:Redis:Configuration"] = redis.Configuration,
            ["Broadcast:Redis:Prefix"] = "old",
        });
        await using var reader = await ExtendedClient.ConnectAsync(server);

        await reader.SendAsync(new { type = "history", id = "h", channel = "room", since = 0 });
        var history = await reader.ReceiveAsync("history");
        Assert.Equal("e-v1", history.GetProperty("epoch").GetString());
        var publications = history.GetProperty("publications").EnumerateArray().ToList();
        Assert.Equal(["first \"one\"", "second"], publications.Select(p => p.GetProperty("message").GetString()));
        Assert.All(publications, p => Assert.False(p.TryGetProperty("data", out _)));

        // And a new publication continues the old stream.
        Assert.Equal(3, (await reader.PublishAsync("room", "third", "n")).GetProperty("offset").GetInt64());
    }
}
