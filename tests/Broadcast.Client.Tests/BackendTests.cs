using System.Buffers.Text;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broadcast.Testing;
using Microsoft.AspNetCore.Http;

namespace Broadcast.Client.Tests;

/// <summary>
/// The application's backend against the real server: <see cref="BroadcastClient.RpcAsync"/> answered by a real HTTP
/// backend on loopback (the RPC proxy), and the subscriptions the server makes by itself delivering their
/// publications, resumed without loss after a reconnect.
/// </summary>
public sealed class BackendTests
{
    private const string Secret = "a-client-backend-secret-of-more-than-32-bytes";
    private const string ApiKey = "client-backend-api-key-0123456";

    private static Task<RunningServer> StartAsync(TestBackend? backend = null) => RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["Broadcast:Auth:HmacSecret"] = Secret,
        ["Broadcast:Auth:UserChannels"] = "true",
        ["Broadcast:Api:Key"] = ApiKey,
        ["Broadcast:Proxy:Rpc:Url"] = backend?.Url("/rpc").ToString(),
        ["Broadcast:Proxy:Rpc:Timeout"] = "00:00:30",
    });

    private static string Token(string sub, params string[] channels)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = sub,
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
            ["channels"] = channels,
        };
        var signed = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" })) + "." +
            Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return signed + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(signed)));
    }

    private static BroadcastClient Client(Endpoint endpoint, string token)
    {
        var options = TestClients.Options(endpoint);
        return new BroadcastClient(new BroadcastClientOptions
        {
            UriProvider = options.UriProvider,
            AccessToken = token,
            ReconnectBaseDelay = options.ReconnectBaseDelay,
            ReconnectMaxDelay = options.ReconnectMaxDelay,
            AckTimeout = options.AckTimeout,
            Random = options.Random,
        });
    }

    private static async Task PublishAsync(RunningServer server, string path, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { message }) };
        request.Headers.Add("X-API-Key", ApiKey);
        using var response = await server.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Rpc_returns_the_backend_answer_and_its_refusal_code_and_an_answer_lost_with_the_connection_is_connection_lost_not_a_retry()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async (context, request) =>
        {
            var call = JsonDocument.Parse(request.Body).RootElement;
            switch (call.GetProperty("method").GetString())
            {
                case "echo":
                    await TestBackend.WriteJsonAsync(context, JsonSerializer.Serialize(new { result = new { data = new { echoed = call.GetProperty("data"), user = call.GetProperty("user").GetString() } } }));
                    break;
                case "slow":
                    await held.Task.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    break;
                default:
                    await TestBackend.WriteJsonAsync(context, """{"error":{"code":"unknown_method","message":"No such method"}}""");
                    break;
            }
        });
        await using var server = await StartAsync(backend);
        await using var client = Client(new Endpoint(server.WebSocketUri), Token("alice"));
        await client.ConnectAsync().Within();

        var answer = await client.RpcAsync("echo", JsonDocument.Parse("""{"page":2}""").RootElement).Within();
        Assert.Equal(2, answer.GetProperty("echoed").GetProperty("page").GetInt32());
        Assert.Equal("alice", answer.GetProperty("user").GetString());

        var refused = await Assert.ThrowsAsync<BroadcastException>(() => client.RpcAsync("nothing").Within());
        Assert.Equal(("unknown_method", "No such method"), (refused.Code, refused.Message));

        var lost = client.RpcAsync("slow");
        await Eventually.TrueAsync(() => backend.CountRequests("/rpc") == 3, TestClients.Timeout, "the slow rpc to reach the backend");
        Assert.True(client.AbortConnection());
        var error = await Assert.ThrowsAsync<BroadcastException>(() => lost.Within());
        Assert.Equal(ErrorCodes.ConnectionLost, error.Code);
        held.SetResult();

        // Connected again, the client works and has not asked the backend twice.
        Assert.Equal(2, (await client.RpcAsync("echo", JsonDocument.Parse("2").RootElement).Within()).GetProperty("echoed").GetInt32());
        Assert.Equal(1, backend.Requests.Count(r => r.Body.Contains("\"slow\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Server_made_subscriptions_are_reported_deliver_their_publications_and_resume_without_loss_after_a_reconnect()
    {
        await using var server = await StartAsync();
        var endpoint = new Endpoint(server.WebSocketUri);
        await using var client = Client(endpoint, Token("alice", "news:net"));
        var made = new List<Subscription>();
        var bothMade = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ServerSubscribed += (_, subscription) =>
        {
            lock (made)
            {
                made.Add(subscription);
                if (made.Count == 2)
                {
                    bothMade.SetResult();
                }
            }
        };
        await client.ConnectAsync().Within();
        await bothMade.Task.Within();
        Assert.Equal(["@user:alice", "news:net"], made.Select(s => s.Channel).Order(StringComparer.Ordinal));
        Assert.All(made, s => Assert.True(s.MadeByServer));
        var news = made.Single(s => s.Channel == "news:net");
        var mine = made.Single(s => s.Channel == "@user:alice");

        await PublishAsync(server, "/api/users/alice/publish", "for alice");
        Assert.Equal("for alice", (await mine.NextAsync()).Message);
        await PublishAsync(server, "/api/channels/news:net/publish", "n1");
        Assert.Equal("n1", (await news.NextAsync()).Message);

        // Offline while the server publishes; back, the client resumes the server's fresh subscription from n1.
        endpoint.GoOffline();
        Assert.True(client.AbortConnection());
        await PublishAsync(server, "/api/channels/news:net/publish", "n2");
        await PublishAsync(server, "/api/channels/news:net/publish", "n3");
        endpoint.PointAt(server.WebSocketUri);
        Assert.Equal("n2", (await news.NextAsync()).Message);
        Assert.Equal("n3", (await news.NextAsync()).Message);
        await PublishAsync(server, "/api/channels/news:net/publish", "n4");
        Assert.Equal("n4", (await news.NextAsync()).Message);
        Assert.Equal(2, made.Count);
    }
}
