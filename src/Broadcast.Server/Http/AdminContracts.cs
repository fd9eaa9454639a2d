using System.Text.Json.Serialization;
using Broadcast.Server.Diagnostics;

namespace Broadcast.Server.Http;

/// <summary>One server process of the deployment, as the admin view shows it.</summary>
public sealed record AdminNode(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("draining")] bool Draining,
    [property: JsonPropertyName("connections")] int Connections,
    [property: JsonPropertyName("channels")] int Channels);

public sealed record AdminChannel(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("subscribers")] int Subscribers);

/// <summary><c>GET /api/admin/overview</c>: this node, its channels, metric totals and recent slow consumers.</summary>
public sealed record AdminOverview(
    [property: JsonPropertyName("node")] AdminNode Node,
    [property: JsonPropertyName("nodes")] IReadOnlyList<AdminNode> Nodes,
    [property: JsonPropertyName("outboundQueueCapacity")] int OutboundQueueCapacity,
    [property: JsonPropertyName("channelCount")] int ChannelCount,
    [property: JsonPropertyName("channels")] IReadOnlyList<AdminChannel> Channels,
    [property: JsonPropertyName("metrics")] MetricsSnapshot Metrics,
    [property: JsonPropertyName("slowConsumers")] IReadOnlyList<SlowConsumerEvent> SlowConsumers);

public sealed record AdminConnection(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("remoteAddress")] string? RemoteAddress,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("subscriptions")] int Subscriptions,
    [property: JsonPropertyName("queuedFrames")] int QueuedFrames,
    [property: JsonPropertyName("connectedAt")] DateTimeOffset ConnectedAt);

/// <summary><c>GET /api/admin/connections</c>: the fullest queues first.</summary>
public sealed record AdminConnectionList(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("connections")] IReadOnlyList<AdminConnection> Connections);
