using System.Text.Json;
using System.Text.Json.Serialization;
using Broadcast.Testing;

namespace Broadcast.Client.Tests;

public sealed record Order(int Id, IReadOnlyList<string> Items, bool Paid, string? Note);

[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(byte[]))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
public sealed partial class OrderContext : JsonSerializerContext;

/// <summary>Typed payloads against the real server: PublishAsync&lt;T&gt; and SubscribeAsync&lt;T&gt;, in JSON and in MessagePack.</summary>
public sealed class TypedPayloadTests
{
    private static async Task<BroadcastClient> ConnectAsync(RunningServer server, ClientEncoding encoding)
    {
        var endpoint = new Endpoint(server.WebSocketUri);
        var client = new BroadcastClient(new BroadcastClientOptions
        {
            UriProvider = endpoint.Next,
            Encoding = encoding,
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(10),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
            AckTimeout = TimeSpan.FromSeconds(10),
            Random = new Random(1),
        });
        using var timeout = new CancellationTokenSource(TestClients.Timeout);
        await client.ConnectAsync(timeout.Token);
        return client;
    }

    [Theory]
    [InlineData(ClientEncoding.Json, ClientEncoding.MessagePack)]
    [InlineData(ClientEncoding.MessagePack, ClientEncoding.Json)]
    [InlineData(ClientEncoding.MessagePack, ClientEncoding.MessagePack)]
    public async Task Typed_data_bytes_and_messages_reach_a_typed_subscriber_whatever_either_encoding(ClientEncoding publisherEncoding, ClientEncoding subscriberEncoding)
    {
        await using var server = await RunningServer.StartAsync();
        await using var publisher = await ConnectAsync(server, publisherEncoding);
        await using var subscriber = await ConnectAsync(server, subscriberEncoding);
        var orders = await subscriber.SubscribeAsync("orders", OrderContext.Default.Order);
        var files = await subscriber.SubscribeAsync("files", OrderContext.Default.ByteArray);
        var notes = await subscriber.SubscribeAsync("notes");

        var order = new Order(7, ["tea", "scone"], Paid: false, Note: null);
        Assert.Equal(1, (await publisher.PublishAsync("orders", order, OrderContext.Default.Order)).Offset);
        Assert.Equal(2, (await publisher.PublishAsync("orders", order with { Id = 8, Paid = true }, JsonSerializerOptions.Web)).Offset);
        byte[] bytes = [0, 1, 2, 250, 255];
        Assert.Equal(1, (await publisher.PublishBytesAsync("files", bytes)).Offset);
        Assert.Equal(1, (await publisher.PublishAsync("notes", "plain text")).Offset);

        await using var reading = orders.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await reading.MoveNextAsync().AsTask().Within());
        Assert.Equal((order.Id, PayloadKind.Data), (reading.Current.Value!.Id, reading.Current.Publication.Kind));
        Assert.Equal(order.Items, reading.Current.Value.Items);
        Assert.True(await reading.MoveNextAsync().AsTask().Within());
        Assert.Equal((8, true), (reading.Current.Value!.Id, reading.Current.Value.Paid));

        var file = await files.Untyped.NextAsync();
        Assert.Equal(PayloadKind.Bytes, file.Kind);
        Assert.Equal(bytes, file.Bytes);
        Assert.Equal(bytes, file.As(OrderContext.Default.ByteArray));

        var note = await notes.NextAsync();
        Assert.Equal((PayloadKind.Message, "plain text"), (note.Kind, note.Message));

        var history = await subscriber.HistoryAsync("orders");
        Assert.Equal([7, 8], history.Publications.Select(p => p.As(OrderContext.Default.Order)!.Id));
    }

    [Fact]
    public async Task The_MessagePack_option_speaks_broadcast_v2_msgpack()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await ConnectAsync(server, ClientEncoding.MessagePack);
        Assert.Equal(ConnectionState.Connected, client.State);
        var connection = Assert.Single(server.Registry.All());
        Assert.Equal("v2-msgpack", connection.Dialect.Name);
    }
}
