using System.Text;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Connections;

/// <summary>
/// After the server closed a client for a broken frame (1007, 1002), it keeps reading only to find the client's
/// answer to its close (RFC 6455 sections 5.5.1 and 7.1.1): what the client sent in between is discarded, never
/// delivered, and once the answer arrives the server ends the TCP connection, without waiting for its close timeout.
/// </summary>
public sealed class CloseAnswerAfterBadFrameTests
{
    public static TheoryData<string, string, int> Offences() => new()
    {
        { "Connection", "invalid_utf8", 1007 },
        { "Connection", "unmasked", 1002 },
        { "Connection", "reserved_opcode", 1002 },
        { "Kestrel", "invalid_utf8", 1007 },
        { "Kestrel", "unmasked", 1002 },
        { "Kestrel", "reserved_opcode", 1002 },
    };

    [Theory]
    [MemberData(nameof(Offences))]
    public async Task The_server_ends_the_connection_when_the_client_answers_its_close(string stack, string offence, int expectedCode)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Broadcast:WebSocketStack"] = stack,
            // Far longer than the test waits: only the client's answer may end the connection.
            ["Broadcast:CloseTimeout"] = "00:02:00",
        });
        await using var offender = await RawWebSocket.ConnectAsync(server.BaseAddress);
        await using var publisher = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        await server.WaitForConnectionCountAsync(3);

        await SendOffenceAsync(offender, offence);

        // Sent after the broken frame, before the answer: whole frames the server must skip, not deliver.
        await offender.SendTextAsync("{\"message\":\"after the broken frame\"}");
        await offender.SendFrameAsync(RawWebSocket.Binary, new byte[300]);
        await offender.SendFrameAsync(RawWebSocket.Ping, "ping"u8.ToArray());

        var close = await offender.ReceiveCloseAsync(TimeSpan.FromSeconds(20));
        Assert.True(close is not null, "the connection ended without a close frame");
        Assert.Equal(expectedCode, close.CloseCode);

        await offender.SendCloseAsync(expectedCode);
        Assert.Null(await offender.ReceiveFrameAsync(TimeSpan.FromSeconds(30)));
        await server.WaitForConnectionCountAsync(2);

        // Nobody else was harmed, and nothing the offender sent after its broken frame was published.
        await publisher.SendMessageAsync("still serving");
        Assert.Equal("still serving", (await watcher.ReceiveJsonAsync()).GetProperty("message").GetString());
    }

    private static Task SendOffenceAsync(RawWebSocket client, string offence) => offence switch
    {
        "invalid_utf8" => client.SendFrameAsync(RawWebSocket.Text, (byte[])[.. "{\"message\":\""u8, 0xC3, 0x28, .. "\"}"u8]),
        "unmasked" => client.SendFrameAsync(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"message\":\"unmasked\"}"), masked: false),
        "reserved_opcode" => client.SendFrameAsync(0x3, Encoding.UTF8.GetBytes("reserved")),
        _ => throw new ArgumentOutOfRangeException(nameof(offence)),
    };
}
