using System.Net.WebSockets;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>Bad input gets an error reply to its sender only; the connection stays open and nothing is broadcast.</summary>
public sealed class ValidationTests
{
    public static TheoryData<string, string> InvalidFrames => new()
    {
        { "not json at all", "invalid_json" },
        { "{\"message\": \"unterminated", "invalid_json" },
        { "{\"message\": \"x\"} trailing", "invalid_json" },
        { "{\"message\": \"x\",}", "invalid_json" },
        { "", "invalid_json" },
        { "[\"message\", \"x\"]", "not_an_object" },
        { "\"just a string\"", "not_an_object" },
        { "42", "not_an_object" },
        { "null", "not_an_object" },
        { "true", "not_an_object" },
        { "{}", "message_missing" },
        { "{\"text\": \"hello\"}", "message_missing" },
        { "{\"Message\": \"wrong case\"}", "message_missing" },
        { "{\"message\": 42}", "message_not_string" },
        { "{\"message\": null}", "message_not_string" },
        { "{\"message\": true}", "message_not_string" },
        { "{\"message\": [\"a\"]}", "message_not_string" },
        { "{\"message\": {\"text\": \"a\"}}", "message_not_string" },
        { "{\"message\": \"\"}", "message_empty" },
        { "{\"message\": \"ok\", \"message\": \"\"}", "message_empty" },
    };

    [Theory]
    [MemberData(nameof(InvalidFrames))]
    public async Task Invalid_input_gets_an_error_to_the_sender_only_and_the_connection_stays_open(string frame, string expectedCode)
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await sender.SendTextAsync(frame);
        var reply = await sender.ReceiveJsonAsync();
        Assert.Equal(expectedCode, reply.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("error").GetString()));
        Assert.False(reply.TryGetProperty("message", out _));

        // Still open, and the rejected frame was never broadcast: the watcher's first frame is this one.
        await sender.SendMessageAsync("valid after error");
        var first = await watcher.ReceiveJsonAsync();
        Assert.Equal("valid after error", first.GetProperty("message").GetString());
        Assert.Equal(WebSocketState.Open, sender.Socket.State);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_and_not_forwarded()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var receiver = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await sender.SendTextAsync("{\"user\": \"ana\", \"message\": \"hi\", \"nested\": {\"deep\": [1, 2, {\"x\": null}]}, \"n\": 1.5e3}");
        var frame = await receiver.ReceiveJsonAsync();
        Assert.Equal("hi", frame.GetProperty("message").GetString());
        Assert.False(frame.TryGetProperty("user", out _));
        Assert.False(frame.TryGetProperty("nested", out _));
    }

    [Fact]
    public async Task A_binary_frame_gets_an_error_reply_and_is_not_broadcast()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(2);

        await sender.SendBinaryAsync("{\"message\":\"binary\"}"u8.ToArray());
        var reply = await sender.ReceiveJsonAsync();
        Assert.Equal("binary_not_supported", reply.GetProperty("code").GetString());

        await sender.SendMessageAsync("text works");
        Assert.Equal("text works", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Many_errors_in_a_row_each_get_their_own_reply_in_order()
    {
        await using var server = await RunningServer.StartAsync();
        await using var sender = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(1);

        string[] codes = ["invalid_json", "message_missing", "message_empty", "message_not_string"];
        await sender.SendTextAsync("{");
        await sender.SendTextAsync("{}");
        await sender.SendTextAsync("{\"message\":\"\"}");
        await sender.SendTextAsync("{\"message\":1}");
        foreach (var code in codes)
        {
            Assert.Equal(code, (await sender.ReceiveJsonAsync()).GetProperty("code").GetString());
        }
    }
}
