using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Security;

/// <summary>Who may connect, how many, and how fast they may publish: the <c>Broadcast:Limits</c> section.</summary>
public sealed class LimitsOptions
{
    /// <summary>
    /// Origins (<c>https://app.example.com</c>) allowed to open a WebSocket from a browser. Empty (the default):
    /// the server's own origin, and loopback origins when the server is reached on a loopback address
    /// (local development). <c>*</c> allows every origin (logged as a warning at start-up). Requests without
    /// an Origin header are not from browsers and are not affected.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Host names (<c>chat.example.com</c>, or <c>*.example.com</c> for its subdomains) by which browsers reach
    /// this server. When set, and origins are restricted (<see cref="AllowedOrigins"/> is not <c>*</c>), a
    /// browser's upgrade whose <c>Host</c> is another name gets 403 <c>host_forbidden</c>: a page on a name the
    /// attacker controls, resolved to this server (DNS rebinding), would otherwise pass as the server's own
    /// origin. <c>localhost</c> and IP addresses are always accepted. Empty (the default): Host is not checked.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Open connections this node accepts; 0 (the default) = its open-file limit minus the descriptors open at start minus 384, so the process never runs out of descriptors.</summary>
    [Range(0, 10_000_000, ErrorMessage = "Broadcast:Limits:MaxConnections must be between {1} and {2}.")]
    public int MaxConnections { get; set; }

    /// <summary>Open connections per client address; 0 (the default) = no per-address limit (behind a reverse proxy every client has the proxy's address).</summary>
    [Range(0, 10_000_000, ErrorMessage = "Broadcast:Limits:MaxConnectionsPerAddress must be between {1} and {2}.")]
    public int MaxConnectionsPerAddress { get; set; }

    /// <summary>The <c>Retry-After</c> (seconds) sent with a refusal, so clients back off instead of hammering.</summary>
    [Range(1, 3600, ErrorMessage = "Broadcast:Limits:RetryAfterSeconds must be between {1} and {2}.")]
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// Publications per second one connection may make, on average (a token bucket); 0 turns the limit
    /// off. Over it, publishes are refused with <c>rate_limited</c> (nothing is published).
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Limits:PublishRatePerSecond must be between {1} and {2}.")]
    public double PublishRatePerSecond { get; set; } = 100;

    /// <summary>Publications a connection may make in a burst above the average rate.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:PublishBurst must be between {1} and {2}.")]
    public int PublishBurst { get; set; } = 200;

    /// <summary>Refused publishes in a row after which the connection is closed with 1008: a client that ignores the errors is flooding.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:RateLimitStrikes must be between {1} and {2}.")]
    public int RateLimitStrikes { get; set; } = 50;

    /// <summary>
    /// How long a client may take to send its request headers (Kestrel's RequestHeadersTimeout), and how
    /// long a new or idle HTTP connection may wait for a request (Kestrel's KeepAliveTimeout): a client
    /// that drips its headers, or connects and sends nothing, to hold a connection open is cut off;
    /// normal handshakes take milliseconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Broadcast:Limits:HandshakeTimeout must be between {1} and {2}.")]
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Frames (reads) one message may arrive in. The byte limit bounds fragments that carry data; this
    /// bounds the empty ones, which cost work without counting toward the size. Past it: close 1008.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:MaxFragmentsPerMessage must be between {1} and {2}.")]
    public int MaxFragmentsPerMessage { get; set; } = 4096;

    /// <summary>
    /// New WebSocket upgrades this node accepts per second (a token bucket with one second of burst); past
    /// it: 503 with <c>Retry-After</c>. Bounds a reconnect storm (thousands of clients returning at once
    /// after a restart) so it cannot starve the connections already served. 0 (the default): no bound.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Limits:MaxUpgradesPerSecond must be between {1} and {2}.")]
    public int MaxUpgradesPerSecond { get; set; }
}
