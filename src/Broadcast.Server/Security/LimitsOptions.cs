using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Security;

/// <summary>Who may connect, how many, and how fast they may publish and make requests: the <c>Broadcast:Limits</c> section.</summary>
public sealed class LimitsOptions
{
    public const string Section = "Broadcast:Limits";

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
    /// Publications per second one connection may make, on average (a token bucket); 0 turns every publish
    /// budget off (this one, the byte budgets, the address and channel ones: no publish limit at all). Over it, publishes are refused with <c>rate_limited</c> (nothing is published). High enough for a
    /// machine publisher of the original protocol (the original server had no limit; issue 18: a seed client
    /// publishing 1,000 messages a second): the byte budgets below are what bound large messages.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Limits:PublishRatePerSecond must be between {1} and {2}.")]
    public double PublishRatePerSecond { get; set; } = 2_000;

    /// <summary>Publications a connection may make in a burst above the average rate.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:PublishBurst must be between {1} and {2}.")]
    public int PublishBurst { get; set; } = 1_000;

    /// <summary>Refused publishes (by the connection's or its address's budget), or refused requests, in a row after which the connection is closed with 1008: a client that ignores the errors is flooding.</summary>
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

    /// <summary>
    /// Message bytes per second one connection may publish on average (the <c>message</c> as escaped JSON); 0:
    /// no byte limit. Small messages never reach it (1,000 a second of 200 bytes are a fifth of it); large
    /// ones do: sixteen of 64 KiB at once, then about sixteen a second.
    /// </summary>
    [Range(0, 1_000_000_000, ErrorMessage = "Broadcast:Limits:PublishBytesPerSecond must be between {1} and {2}.")]
    public double PublishBytesPerSecond { get; set; } = 1_048_576;

    /// <summary>Message bytes a connection may publish in a burst; one message larger than this still passes when the budget is full.</summary>
    [Range(1, 1_000_000_000, ErrorMessage = "Broadcast:Limits:PublishBurstBytes must be between {1} and {2}.")]
    public int PublishBurstBytes { get; set; } = 1_048_576;

    /// <summary>Publications per second all anonymous connections of one client address may make together; 0: no limit. Authenticated connections are not counted.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Limits:AddressPublishRatePerSecond must be between {1} and {2}.")]
    public double AddressPublishRatePerSecond { get; set; } = 4_000;

    /// <summary>Publications one address's anonymous connections may make together in a burst.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:AddressPublishBurst must be between {1} and {2}.")]
    public int AddressPublishBurst { get; set; } = 2_000;

    /// <summary>Message bytes per second one address's anonymous connections may publish together; 0: no byte limit.</summary>
    [Range(0, 1_000_000_000, ErrorMessage = "Broadcast:Limits:AddressPublishBytesPerSecond must be between {1} and {2}.")]
    public double AddressPublishBytesPerSecond { get; set; } = 2_097_152;

    /// <summary>Message bytes one address's anonymous connections may publish together in a burst.</summary>
    [Range(1, 1_000_000_000, ErrorMessage = "Broadcast:Limits:AddressPublishBurstBytes must be between {1} and {2}.")]
    public int AddressPublishBurstBytes { get; set; } = 2_097_152;

    /// <summary>
    /// Publications per second one channel accepts on this node from all WebSocket clients together; 0: no
    /// limit. Bounds what a channel's subscribers are sent however many clients publish at once; a refusal
    /// (<c>rate_limited</c>) does not count toward closing the publisher. Twice the seed client of issue 18;
    /// more (5,000/s was tried) and eight connections publishing small messages at once overran subscribers'
    /// 1,024-frame queues on a loaded two-core machine.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Limits:ChannelPublishRatePerSecond must be between {1} and {2}.")]
    public double ChannelPublishRatePerSecond { get; set; } = 2_000;

    /// <summary>Publications one channel accepts in a burst: well under <c>OutboundQueueCapacity</c>, so a burst alone cannot fill a subscriber's queue.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:ChannelPublishBurst must be between {1} and {2}.")]
    public int ChannelPublishBurst { get; set; } = 500;

    /// <summary>Message bytes per second one channel accepts on this node; 0: no byte limit.</summary>
    [Range(0, 1_000_000_000, ErrorMessage = "Broadcast:Limits:ChannelPublishBytesPerSecond must be between {1} and {2}.")]
    public double ChannelPublishBytesPerSecond { get; set; } = 4_194_304;

    /// <summary>Message bytes one channel accepts in a burst: what a subscriber may be sent of it at once.</summary>
    [Range(1, 1_000_000_000, ErrorMessage = "Broadcast:Limits:ChannelPublishBurstBytes must be between {1} and {2}.")]
    public int ChannelPublishBurstBytes { get; set; } = 4_194_304;

    /// <summary>
    /// How many times more a connection with a valid token may publish than an anonymous one (its own
    /// message and byte budgets); the channel budgets are the same for everyone.
    /// </summary>
    [Range(1, 1_000, ErrorMessage = "Broadcast:Limits:AuthenticatedPublishFactor must be between {1} and {2}.")]
    public int AuthenticatedPublishFactor { get; set; } = 10;

    /// <summary>
    /// Requests other than publish (hello, auth, subscribe, unsubscribe, history, presence) per second one
    /// extended-protocol connection may make on average; 0: no limit. Over it: <c>rate_limited</c>, and after
    /// <see cref="RateLimitStrikes"/> in a row, close 1008. A subscribe/unsubscribe loop otherwise floods every
    /// presence watcher of the channel.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Broadcast:Limits:RequestRatePerSecond must be between {1} and {2}.")]
    public double RequestRatePerSecond { get; set; } = 50;

    /// <summary>Requests a connection may make at once: enough to resume every subscription (MaxChannelsPerConnection) with its history.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:Limits:RequestBurst must be between {1} and {2}.")]
    public int RequestBurst { get; set; } = 200;

    /// <summary>
    /// Open TCP connections per client address, counted from the first byte (before any request is read);
    /// past it a new one is closed at once. 0 (the default): a quarter of <see cref="MaxConnections"/>, at
    /// least 16, so one address cannot hold the whole node. Behind a reverse proxy every connection comes from
    /// the proxy: raise it to <see cref="MaxConnections"/> there.
    /// </summary>
    [Range(0, 10_000_000, ErrorMessage = "Broadcast:Limits:MaxSocketsPerAddress must be between {1} and {2}.")]
    public int MaxSocketsPerAddress { get; set; }
}
