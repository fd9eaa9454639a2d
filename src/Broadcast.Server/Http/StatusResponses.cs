using System.Text.Json.Serialization;

namespace Broadcast.Server.Http;

/// <summary><c>GET /health</c>: the original server's liveness answer.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("connections")] int Connections);

/// <summary><c>GET /</c> for API clients: the original server's status answer.</summary>
public sealed record ServiceStatusResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("active_connections")] int ActiveConnections);
