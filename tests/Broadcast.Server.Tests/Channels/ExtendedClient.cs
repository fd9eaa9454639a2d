using System.Text.Json;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Channels;

/// <summary>A raw client of the extended protocol for server tests: frames in, frames out, nothing hidden.</summary>
internal sealed class ExtendedClient : IAsyncDisposable
{
    private ExtendedClient(TestClient client, JsonElement welcome)
    {
        Client = client;
        Welcome = welcome;
    }

    public TestClient Client { get; }

    public JsonElement Welcome { get; }

    /// <summary>The session token: the credential to resume with, known to this client only.</summary>
    public string Session => Welcome.GetProperty("session").GetString()!;

    /// <summary>The session's public id: the origin of its publications and its id in presence.</summary>
    public string PublicId => Welcome.GetProperty("publicId").GetString()!;

    public static async Task<ExtendedClient> ConnectAsync(Uri uri, string? session = null, string? name = null)
    {
        var client = await TestClient.ConnectAsync(uri, options => options.AddSubProtocol("broadcast.v2"));
        return await FromConnectedAsync(client, session, name);
    }

    /// <summary>Says hello on a socket connected with the subprotocol by the caller (e.g. with a token).</summary>
    public static async Task<ExtendedClient> FromConnectedAsync(TestClient client, string? session = null, string? name = null)
    {
        Assert.Equal("broadcast.v2", client.Socket.SubProtocol);
        await client.SendTextAsync(JsonSerializer.Serialize(new { type = "hello", session, name }));
        var welcome = await client.ReceiveJsonAsync();
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        return new ExtendedClient(client, welcome);
    }

    public static Task<ExtendedClient> ConnectAsync(RunningServer server, string? session = null, string? name = null) =>
        ConnectAsync(server.WebSocketUri, session, name);

    public Task SendAsync(object frame) => Client.SendTextAsync(JsonSerializer.Serialize(frame));

    public async Task<JsonElement> ReceiveAsync(string expectedType)
    {
        var frame = await Client.ReceiveJsonAsync();
        Assert.True(
            frame.GetProperty("type").GetString() == expectedType,
            $"Expected a '{expectedType}' frame, got {frame}");
        return frame;
    }

    public async Task<JsonElement> SubscribeAsync(string channel, object? since = null, bool presence = false, string id = "sub")
    {
        await SendAsync(new { type = "subscribe", id, channel, since, presence });
        var reply = await ReceiveAsync("subscribed");
        Assert.Equal(id, reply.GetProperty("id").GetString());
        return reply;
    }

    public async Task<JsonElement> PublishAsync(string channel, string message, string id)
    {
        await SendAsync(new { type = "publish", id, channel, message });
        var ack = await ReceiveAsync("ack");
        Assert.Equal(id, ack.GetProperty("id").GetString());
        return ack;
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
