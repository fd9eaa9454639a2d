namespace Broadcast.Server.Diagnostics;

/// <summary>The Prometheus endpoint: the <c>Broadcast:Metrics</c> section.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Broadcast:Metrics";

    /// <summary>
    /// Serve <c>GET /metrics</c> (Prometheus text format). On by default: the numbers hold no secrets
    /// and no payloads. Turn it off where the port is public and nobody scrapes it.
    /// </summary>
    public bool Enabled { get; set; } = true;
}
