using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Configuration;

/// <summary>
/// Settings of the broadcast server, bound from the <c>Broadcast</c> configuration section
/// (appsettings.json, or environment variables such as <c>Broadcast__MaxMessageBytes</c>).
/// Every value is validated at start-up; a bad one stops the process with a message naming the key.
/// </summary>
public sealed class BroadcastOptions
{
    public const string SectionName = "Broadcast";

    /// <summary>Largest inbound message accepted, in bytes (inclusive). Larger → close 1009. Default 64 KiB, as Centrifugo.</summary>
    [Range(16, 16 * 1024 * 1024, ErrorMessage = "Broadcast:MaxMessageBytes must be between {1} and {2}.")]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Frames that may wait for one client before it counts as a slow consumer and is closed with 1008.
    /// Large enough to absorb bursts, small enough that one stuck client cannot hold much memory.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:OutboundQueueCapacity must be between {1} and {2}.")]
    public int OutboundQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Bytes that may wait for one client, whatever they are: publications, replays, replies, errors and
    /// notices. A publication past it meets its channel's slow-consumer policy; anything else past it closes
    /// the client with 1008, so a client that asks and never reads cannot make the server hold more.
    /// Replays on resume are sent in portions as the client reads, so any history fits through it.
    /// </summary>
    [Range(64 * 1024, 1024 * 1024 * 1024, ErrorMessage = "Broadcast:OutboundQueueBytes must be between {1} and {2}.")]
    public int OutboundQueueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Largest history page (a WebSocket <c>history</c> reply, an HTTP history answer) in bytes: a longer
    /// answer stops early with <c>more: true</c> and the client asks for the rest. At least one publication
    /// is always returned, so a page may pass it by one publication.
    /// </summary>
    [Range(16 * 1024, 64 * 1024 * 1024, ErrorMessage = "Broadcast:HistoryPageBytes must be between {1} and {2}.")]
    public int HistoryPageBytes { get; set; } = 1024 * 1024;

    /// <summary>How often the server pings an otherwise quiet client. Zero disables keep-alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Broadcast:KeepAliveInterval must be between {1} and {2}.")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for the pong before the peer is considered dead and the connection aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Broadcast:KeepAliveTimeout must be between {1} and {2}.")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The shortest time between two write rounds. A message after a quiet spell is written at once; under
    /// load, each client's messages that arrive within this time share one write (one system call), which
    /// costs far less per delivery at the price of at most this much added latency. Zero writes as soon as possible.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100", ErrorMessage = "Broadcast:FlushInterval must be between {1} and {2}.")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>How long a close handshake the server started may take before the socket is aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Broadcast:CloseTimeout must be between {1} and {2}.")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>On SIGTERM: how long clients get to receive what is queued for them and the 1001 close.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Broadcast:ShutdownTimeout must be between {1} and {2}.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where channel state lives: <c>Memory</c> (one node, the default) or <c>Redis</c> (several nodes).</summary>
    public Engines.EngineKind Engine { get; set; } = Engines.EngineKind.Memory;

    /// <summary>The Redis engine (<c>Broadcast:Redis</c>), used when <see cref="Engine"/> is <c>Redis</c>.</summary>
    public Engines.Redis.RedisOptions Redis { get; set; } = new();

    /// <summary>What the in-memory engine may hold in total (<c>Broadcast:Memory</c>), used when <see cref="Engine"/> is <c>Memory</c>.</summary>
    public Engines.Memory.MemoryEngineOptions Memory { get; set; } = new();

    /// <summary>Origins, connection limits (<c>Broadcast:Limits</c>).</summary>
    public Security.LimitsOptions Limits { get; set; } = new();

    /// <summary>Channels, history and idempotency (<c>Broadcast:Channels</c>).</summary>
    public Channels.ChannelOptions Channels { get; set; } = new();

    /// <summary>Tokens and channel permissions of WebSocket clients (<c>Broadcast:Auth</c>).</summary>
    public Security.AuthOptions Auth { get; set; } = new();

    /// <summary>The HTTP API (<c>Broadcast:Api</c>).</summary>
    public Api.ApiOptions Api { get; set; } = new();

    /// <summary>The admin view and its API (<c>Broadcast:Admin</c>).</summary>
    public Diagnostics.AdminOptions Admin { get; set; } = new();

    /// <summary>The Prometheus endpoint (<c>Broadcast:Metrics</c>).</summary>
    public Diagnostics.MetricsOptions Metrics { get; set; } = new();

    /// <summary>Folder holding the built web app. Default: the <c>webapp</c> folder beside the server binaries.</summary>
    public string? WebAppPath { get; set; }
}
